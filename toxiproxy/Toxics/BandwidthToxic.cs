using System.Diagnostics;
using System.Text.Json.Serialization;

namespace Toxiproxy.Toxics;

/// <summary>Caps throughput at rate KB/s (0 or less = unlimited, as in Toxiproxy), releasing bytes in pieces of at most 100 ms worth.</summary>
internal sealed class BandwidthToxic : IToxic
{
    [JsonPropertyName("rate")]
    public long Rate { get; init; }

    public async Task PipeAsync(ToxicStub stub)
    {
        var bytesPerSecond = Rate * 1000.0;
        var pieceSize = (int)Math.Clamp(bytesPerSecond / 10, 1, 64 * 1024);

        // A schedule, not per-piece sleeps, so timer granularity does not add up.
        var due = Stopwatch.GetTimestamp();
        while (await stub.ReadAsync() is { } chunk)
        {
            if (Rate <= 0)
            {
                await stub.WriteAsync(chunk);
                continue;
            }

            var offset = 0;
            while (offset < chunk.Length)
            {
                var size = Math.Min(pieceSize, chunk.Length - offset);
                due = Math.Max(due, Stopwatch.GetTimestamp()) + (long)(size / bytesPerSecond * Stopwatch.Frequency);
                if (!await stub.DelayAsync(Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due)))
                {
                    // Interrupted: hand on the rest unthrottled instead of dropping it.
                    await stub.WriteAsync(StreamChunk.Copy(chunk.Data.AsSpan(offset, chunk.Length - offset), chunk.ArrivedAt));
                    return;
                }

                await stub.WriteAsync(StreamChunk.Copy(chunk.Data.AsSpan(offset, size), chunk.ArrivedAt));
                offset += size;
            }
        }
    }
}
