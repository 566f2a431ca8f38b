using System.Text.Json.Serialization;

namespace Toxiproxy.Toxics;

/// <summary>
/// Cuts chunks into pieces of average_size ± size_variation bytes, delay µs apart. Timers here
/// count milliseconds, so a non-zero delay under 1 ms waits about 1 ms. Toxiproxy takes any
/// integers here and, with average_size 0 or less (the default), recurses until its server dies on
/// the first byte; we read that as "the smallest pieces": 1 byte. A variation below 0 is none, and
/// one at or above the average is capped just below it, so no piece is empty.
/// </summary>
internal sealed class SlicerToxic : IToxic
{
    [JsonPropertyName("average_size")]
    public long AverageSize { get; init; }

    [JsonPropertyName("size_variation")]
    public long SizeVariation { get; init; }

    [JsonPropertyName("delay")]
    public long Delay { get; init; }

    public async Task PipeAsync(ToxicStub stub)
    {
        var average = Math.Clamp(AverageSize, 1, 1L << 30);
        var variation = Math.Clamp(SizeVariation, 0, average - 1);
        var delay = ToxicTime.Microseconds(Delay);
        while (await stub.ReadAsync() is { } chunk)
        {
            var offset = 0;
            while (offset < chunk.Length)
            {
                var size = (int)Math.Min(chunk.Length - offset, average + stub.Random.NextInt64(-variation, variation + 1));
                await stub.WriteAsync(StreamChunk.Copy(chunk.Data.AsSpan(offset, size), chunk.ArrivedAt));
                offset += size;
                if (offset < chunk.Length && !await stub.DelayAsync(delay))
                {
                    await stub.WriteAsync(StreamChunk.Copy(chunk.Data.AsSpan(offset, chunk.Length - offset), chunk.ArrivedAt));
                    return;
                }
            }
        }
    }
}
