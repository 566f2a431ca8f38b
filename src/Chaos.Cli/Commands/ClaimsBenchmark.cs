using Chaos.Harness.Matrix;
using Chaos.Harness.Profiles;
using Chaos.Harness.Servers;

namespace Chaos.Cli;

/// <summary>
/// <c>chaos bench claims</c>: the costs the claims table quotes, as medians of alternating rounds on one
/// server: validation on checkout per checkout (claim 2), no pooling per request (claim 7), and the
/// sessions an aggressive Connection Lifetime opens (claim 4).
/// </summary>
internal static class ClaimsBenchmark
{
    private const int Requests = 500;

    public static async Task<int> RunAsync(TextWriter output, int rounds, CancellationToken ct)
    {
        await using var server = await ServerBackend.FromEnvironment().StartAsync(new PostgresOptions(), ct);
        var recycle = ProfileCatalog.Custom("recycle-1s", "Connection Lifetime=1");
        await CostMeasurement.MeasureAsync(server, ProfileCatalog.NpgsqlDefaults, Requests, null, ct); // JIT and first connections, not measured

        var validation = new List<double>();
        var noPooling = new List<double>();
        var recycled = new List<(long Sessions, long Baseline)>();
        for (var round = 1; round <= rounds; round++)
        {
            // Alternate the order so a drift of the machine during the run favours neither side.
            var pooled = await CostMeasurement.MeasureAsync(server, ProfileCatalog.NpgsqlDefaults, Requests, null, ct);
            var validated = await CostMeasurement.MeasureAsync(server, ProfileCatalog.ValidateOnCheckout, Requests, null, ct);
            var unpooled = await CostMeasurement.MeasureAsync(server, ProfileCatalog.NoPooling, Requests, null, ct);
            var pooledAgain = await CostMeasurement.MeasureAsync(server, ProfileCatalog.NpgsqlDefaults, Requests, null, ct);
            var plain = (pooled.MsPerRequest + pooledAgain.MsPerRequest) / 2;
            validation.Add(validated.MsPerRequest - plain);
            noPooling.Add(unpooled.MsPerRequest - plain);
            var slow = await CostMeasurement.MeasureAsync(server, recycle, Requests, TimeSpan.FromMilliseconds(5), ct);
            var slowPlain = await CostMeasurement.MeasureAsync(server, ProfileCatalog.NpgsqlDefaults, Requests, TimeSpan.FromMilliseconds(5), ct);
            recycled.Add((slow.Sessions, slowPlain.Sessions));
            await output.WriteLineAsync(
                $"round {round}/{rounds}: plain {plain:0.000} ms, validate-on-checkout +{validation[^1]:0.000} ms, no-pooling +{noPooling[^1]:0.00} ms per request; " +
                $"Connection Lifetime=1 opened {slow.Sessions} sessions for {Requests} requests over {slow.Elapsed.TotalSeconds:0.0} s (defaults {slowPlain.Sessions})");
        }
        await output.WriteLineAsync($"validate-on-checkout: +{Median(validation):0.000} ms per checkout (median of {rounds}; range {validation.Min():0.000} to {validation.Max():0.000})");
        await output.WriteLineAsync($"no-pooling: +{Median(noPooling):0.00} ms per request (median of {rounds}; range {noPooling.Min():0.00} to {noPooling.Max():0.00}), SCRAM authentication each time");
        await output.WriteLineAsync($"Connection Lifetime=1: {recycled.Select(r => r.Sessions).Min()} to {recycled.Select(r => r.Sessions).Max()} sessions per {Requests} requests (defaults: {recycled.Select(r => r.Baseline).Max()})");
        await output.WriteLineAsync($"machine: {Environment.ProcessorCount} cores, load average {LoadAverage()}, server {server.Version}");
        return ChaosCli.Ok;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";
}
