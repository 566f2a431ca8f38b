using System.Text.Json.Serialization;

namespace Toxiproxy.Toxics;

/// <summary>
/// Delays every chunk by latency ± jitter, counted from when the chunk reached the proxy. A
/// negative latency (or latency minus jitter) is no delay; jitter 0 or less is none, as in Toxiproxy.
/// </summary>
internal sealed class LatencyToxic : IToxic
{
    [JsonPropertyName("latency")]
    public long Latency { get; init; }

    [JsonPropertyName("jitter")]
    public long Jitter { get; init; }

    /// <summary>Far beyond any test, small enough that latency ± jitter cannot overflow.</summary>
    private const long Bound = 1L << 40;

    public async Task PipeAsync(ToxicStub stub)
    {
        while (await stub.ReadAsync() is { } chunk)
        {
            var delay = Math.Clamp(Latency, -Bound, Bound);
            var jitter = Math.Min(Jitter, Bound);
            if (jitter > 0)
            {
                delay += stub.Random.NextInt64(-jitter, jitter + 1);
            }

            var wait = chunk.Remaining(ToxicTime.Milliseconds(delay));
            var completed = await stub.DelayAsync(wait);

            // Later toxics count from when this one let the chunk go.
            chunk.ArrivedAt += (long)(wait.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
            await stub.WriteAsync(chunk);
            if (!completed)
            {
                // Interrupted: the chunk went out early rather than being lost.
                return;
            }
        }
    }
}
