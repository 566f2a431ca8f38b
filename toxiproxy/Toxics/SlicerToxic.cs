using System.Text.Json.Serialization;

namespace Toxiproxy.Toxics;

/// <summary>
/// Cuts chunks into pieces of average_size ± size_variation bytes, delay µs apart. Timers here
/// count milliseconds, so a non-zero delay under 1 ms waits about 1 ms.
/// </summary>
internal sealed class SlicerToxic : IToxic, IValidatedToxic
{
    [JsonPropertyName("average_size")]
    public long AverageSize { get; init; }

    [JsonPropertyName("size_variation")]
    public long SizeVariation { get; init; }

    [JsonPropertyName("delay")]
    public long Delay { get; init; }

    public string? Validate() =>
        AverageSize < 1 || AverageSize > 1 << 20 ? "average_size must be between 1 and 1048576"
        : SizeVariation < 0 || SizeVariation >= AverageSize ? "size_variation must be at least 0 and less than average_size"
        : ToxicLimits.Duration("delay", Delay, ToxicLimits.MaxMilliseconds * 1000);

    public async Task PipeAsync(ToxicStub stub)
    {
        while (await stub.ReadAsync() is { } chunk)
        {
            var offset = 0;
            while (offset < chunk.Length)
            {
                var size = (int)Math.Min(chunk.Length - offset, AverageSize + stub.Random.NextInt64(-SizeVariation, SizeVariation + 1));
                await stub.WriteAsync(StreamChunk.Copy(chunk.Data.AsSpan(offset, size), chunk.ArrivedAt));
                offset += size;
                if (offset < chunk.Length && !await stub.DelayAsync(TimeSpan.FromMicroseconds(Delay)))
                {
                    await stub.WriteAsync(StreamChunk.Copy(chunk.Data.AsSpan(offset, chunk.Length - offset), chunk.ArrivedAt));
                    return;
                }
            }
        }
    }
}
