using System.Text.Json.Serialization;

namespace Toxiproxy.Toxics;

/// <summary>
/// Lets exactly bytes bytes through on the connection (counted from when the toxic was added),
/// then closes it; with 0 or less the first data closes it and passes nothing, as in Toxiproxy.
/// </summary>
internal sealed class LimitDataToxic : IToxic, IStatefulToxic
{
    [JsonPropertyName("bytes")]
    public long Bytes { get; init; }

    /// <summary>Bytes already passed survive the chain being rebuilt around this toxic.</summary>
    public object NewState() => new Transmitted();

    public async Task PipeAsync(ToxicStub stub)
    {
        var transmitted = (Transmitted)stub.State!;
        while (await stub.ReadAsync() is { } chunk)
        {
            var remaining = Math.Max(0, Bytes - transmitted.Count);
            chunk.Length = (int)Math.Min(chunk.Length, remaining);
            if (chunk.Length > 0)
            {
                await stub.WriteAsync(chunk);
                transmitted.Count += chunk.Length;
            }

            if (transmitted.Count >= Bytes)
            {
                stub.Close();
                return;
            }
        }
    }

    private sealed class Transmitted
    {
        public long Count { get; set; }
    }
}
