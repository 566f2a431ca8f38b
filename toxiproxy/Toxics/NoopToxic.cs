namespace Toxiproxy.Toxics;

/// <summary>Passes every chunk through. Sits first in every chain so toxics can be spliced in live.</summary>
internal sealed class NoopToxic : IToxic
{
    public static readonly NoopToxic Instance = new();

    public async Task PipeAsync(ToxicStub stub)
    {
        while (await stub.ReadAsync() is { } chunk)
        {
            await stub.WriteAsync(chunk);
        }
    }
}
