using System.Text.Json.Serialization;

namespace Toxiproxy.Toxics;

/// <summary>Lets exactly bytes bytes through on the connection, then closes it.</summary>
internal sealed class LimitDataToxic : IToxic, IStatefulToxic, IValidatedToxic
{
    [JsonPropertyName("bytes")]
    public long Bytes { get; init; }

    public string? Validate() => Bytes < 0 ? "bytes must not be negative" : null;

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
