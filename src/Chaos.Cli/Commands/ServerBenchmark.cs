using System.Diagnostics;
using Chaos.Harness.Servers;
using Chaos.Harness.Servers.Internal;

namespace Chaos.Cli;

/// <summary>
/// <c>chaos bench servers</c>: how long a cluster takes from CreateAsync to its first successful query,
/// cold (initdb into an empty template cache) and warm (copy of the cached template).
/// </summary>
internal static class ServerBenchmark
{
    public static async Task<int> RunAsync(TextWriter output, CancellationToken ct, int coldRuns = 3, int warmRuns = 20)
    {
        // A private template cache, so "cold" is really cold and the shared cache is left alone.
        var root = Path.Combine(Path.GetTempPath(), $"chaos-bench-{Environment.ProcessId}");
        try
        {
            var cold = new List<double>();
            for (var i = 0; i < coldRuns; i++)
            {
                var coldRoot = Path.Combine(root, $"cold-{i}");
                cold.Add(await TimeStartAsync(coldRoot, ct));
                await output.WriteLineAsync($"cold start {i + 1}/{coldRuns}: {cold[^1]:0} ms");
            }

            var warmRoot = Path.Combine(root, "cold-0");
            var warm = new List<double>();
            for (var i = 0; i < warmRuns; i++)
            {
                warm.Add(await TimeStartAsync(warmRoot, ct));
                await output.WriteLineAsync($"warm start {i + 1}/{warmRuns}: {warm[^1]:0} ms");
            }

            await output.WriteLineAsync($"cold start: {Percentile(cold, 50):0} ms p50 ({coldRuns} runs, initdb included)");
            await output.WriteLineAsync($"warm start: {Percentile(warm, 50):0} ms p50, {Percentile(warm, 99):0} ms p99");
            return 0;
        }
        catch (ServerSetupException e)
        {
            await output.WriteLineAsync(e.Message);
            return 2;
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    private static async Task<double> TimeStartAsync(string templateRoot, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        await using var server = await ManagedServer.StartAsync(null, Environment.GetEnvironmentVariable, templateRoot, ct);
        return clock.Elapsed.TotalMilliseconds;
    }

    // Nearest-rank percentile: with 20 samples p99 is the slowest, which is what a p99 of 20 honestly is.
    internal static double Percentile(IReadOnlyList<double> samples, int percentile)
    {
        var sorted = samples.Order().ToList();
        var rank = (int)Math.Ceiling(percentile / 100.0 * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }
}
