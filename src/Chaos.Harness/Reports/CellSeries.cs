using Chaos.Harness.History;

namespace Chaos.Harness.Reports;

/// <summary>
/// A cell over time, in fixed buckets, for charts: requests by how they ended (counted in the bucket
/// they were invoked in), the latency of the successes, and the server connections the sampler saw.
/// </summary>
internal sealed record CellSeries(double BucketMs, IReadOnlyList<SeriesBucket> Buckets)
{
    public const double DefaultBucketMs = 250;

    public static CellSeries Empty { get; } = new(DefaultBucketMs, []);

    public static CellSeries From(CellHistory history, double bucketMs = DefaultBucketMs)
    {
        var end = Math.Max(history.EndMs, history.Ops.Count == 0 ? 0 : history.Ops.Max(o => o.InvokedMs));
        var count = (int)Math.Ceiling(end / bucketMs) + 1;
        var ops = history.Ops.ToLookup(o => (int)(o.InvokedMs / bucketMs));
        var samples = history.Samples.ToLookup(s => (int)(s.AtMs / bucketMs));
        var buckets = new List<SeriesBucket>(count);
        for (var i = 0; i < count; i++)
        {
            var these = ops[i].ToList();
            var latencies = these.Where(o => o.Outcome == Outcome.Ok).Select(o => o.LatencyMs).Order().ToList();
            buckets.Add(new SeriesBucket(
                Math.Round(i * bucketMs, 1),
                these.Count(o => o.Outcome == Outcome.Ok),
                these.Count(o => o.Outcome == Outcome.Fail),
                these.Count(o => o.Outcome == Outcome.Unknown),
                these.Count(o => o.Outcome == Outcome.Hung),
                latencies.Count == 0 ? null : Math.Round(latencies[latencies.Count / 2], 2),
                latencies.Count == 0 ? null : Math.Round(latencies[^1], 2),
                samples[i].Any() ? samples[i].Max(s => s.ServerConnections) : null));
        }
        return new CellSeries(bucketMs, buckets);
    }
}

/// <summary>One bucket of a <see cref="CellSeries"/>, starting at <paramref name="AtMs"/>.</summary>
/// <param name="P50Ms">Median latency of the successes invoked in the bucket; null when none succeeded.</param>
/// <param name="MaxMs">Slowest success invoked in the bucket.</param>
/// <param name="ServerConnections">The most server connections sampled in the bucket; null when none was sampled.</param>
internal sealed record SeriesBucket(double AtMs, int Ok, int Fail, int Unknown, int Hung, double? P50Ms, double? MaxMs, int? ServerConnections);
