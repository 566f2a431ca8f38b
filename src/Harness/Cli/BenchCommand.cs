using System.CommandLine;
using System.Diagnostics;
using Chaos.Harness.Checking;
using Chaos.Harness.Matrix;
using Chaos.Harness.Servers;
using Spectre.Console;

namespace Chaos.Harness.Cli;

/// <summary>
/// `chaos bench`: speed is measured here, never in a timed test. `bench servers` times cluster starts;
/// `bench matrix` times whole matrix runs and checks that every run gives the same verdicts.
/// </summary>
internal static class BenchCommand
{
    public static Command Create(IAnsiConsole console)
    {
        var servers = new Command("servers", "Cold and warm PostgreSQL cluster starts to first query.");
        servers.SetAction((_, ct) => ServerBenchmark.RunAsync(Console.Out, ct));

        var runs = new Option<int>("--runs") { Description = "Whole-matrix runs.", DefaultValueFactory = _ => 5 };
        var faults = new Option<string?>("--faults") { Description = "Comma-separated faults (default: all)." };
        var profiles = new Option<string?>("--profiles") { Description = "Comma-separated profiles (default: all)." };
        var parallel = new Option<int>("--parallel") { Description = "Cells run at once.", DefaultValueFactory = _ => MatrixOptions.DefaultParallelism };
        var matrix = new Command("matrix", "Run the matrix several times: duration of each run and whether every verdict repeats.")
        {
            runs, faults, profiles, parallel,
        };
        matrix.SetAction(async (parse, ct) =>
        {
            var n = parse.GetValue(runs);
            if (n < 1)
            {
                throw new UsageException($"--runs {n}: give a whole number of at least 1");
            }
            var options = new MatrixOptions
            {
                Faults = Selection.Faults(parse.GetValue(faults)),
                Profiles = Selection.Profiles(parse.GetValue(profiles), []),
                Parallelism = Math.Max(1, parse.GetValue(parallel)),
            };
            var seconds = new List<double>();
            IReadOnlyList<CellResult>? first = null;
            var differing = new HashSet<string>();
            for (var run = 1; run <= n; run++)
            {
                var clock = Stopwatch.StartNew();
                var result = await MatrixRunner.RunAsync(options, null, ct);
                seconds.Add(clock.Elapsed.TotalSeconds);
                first ??= result.Cells;
                foreach (var (a, b) in first.Zip(result.Cells))
                {
                    if (a.Verdict != b.Verdict)
                    {
                        differing.Add($"{a.Fault} x {a.Profile}: {a.Verdict.ToWire()} then {b.Verdict.ToWire()}");
                    }
                }
                var regressions = result.Cells.Where(c => c.IsRegression).ToList();
                console.WriteLine($"run {run}: {result.Cells.Count} cells in {seconds[^1]:0.0} s, {regressions.Count} regression(s)");
                foreach (var cell in regressions)
                {
                    console.WriteLine($"  regression {cell.Fault} x {cell.Profile}: expected {cell.Expected!.Value.ToWire()}, got {cell.Verdict.ToWire()}: {cell.Reason}");
                }
            }
            foreach (var d in differing)
            {
                console.WriteLine($"not deterministic: {d}");
            }
            console.WriteLine($"matrix: {seconds.Average():0.0} s mean, {seconds.Max():0.0} s max over {n} run(s); {(differing.Count == 0 ? "every verdict identical" : $"{differing.Count} cell(s) changed verdict")}");
            return differing.Count == 0 ? ChaosCli.Ok : ChaosCli.Regression;
        });

        return new Command("bench", "Benchmarks: server start times, whole-matrix time and determinism.") { servers, matrix };
    }
}
