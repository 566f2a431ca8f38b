using System.Text.Json.Serialization;

namespace Toxiproxy.Toxics;

/// <summary>Delays every chunk by latency ± jitter, counted from when the chunk reached the proxy.</summary>
internal sealed class LatencyToxic : IToxic, IValidatedToxic
{
    [JsonPropertyName("latency")]
    public long Latency { get; init; }

    [JsonPropertyName("jitter")]
    public long Jitter { get; init; }

    public string? Validate() => ToxicLimits.Duration("latency", Latency) ?? ToxicLimits.Duration("jitter", Jitter);

    public async Task PipeAsync(ToxicStub stub)
    {
        while (await stub.ReadAsync() is { } chunk)
        {
            var delay = Latency;
            if (Jitter > 0)
            {
                delay += stub.Random.NextInt64(-Jitter, Jitter + 1);
            }

            var wait = chunk.Remaining(TimeSpan.FromMilliseconds(Math.Max(0, delay)));
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
