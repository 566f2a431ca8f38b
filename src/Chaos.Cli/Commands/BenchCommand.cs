using Chaos.Harness;
using System.CommandLine;
using System.Diagnostics;
using Chaos.Harness.Checking;
using Chaos.Harness.Matrix;
using Chaos.Harness.Reports;
using Chaos.Harness.Servers;
using Spectre.Console;

namespace Chaos.Cli;

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

        var runs = WholeNumber.Option("--runs", "Whole-matrix runs.", 5, min: 1, max: 100);
        var faults = new Option<string?>("--faults") { Description = "Comma-separated faults (default: all)." };
        var profiles = new Option<string?>("--profiles") { Description = "Comma-separated profiles (default: all)." };
        var parallel = WholeNumber.Option("--parallel", "Cells run at once.", MatrixOptions.DefaultParallelism, min: 1, max: 256);
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
            var cpu = new List<MachineCpu>();
            var phases = new List<CellPhases>();
            var cellsRun = 0;
            IReadOnlyList<CellRecord>? first = null;
            var differing = new HashSet<string>();
            for (var run = 1; run <= n; run++)
            {
                var clock = Stopwatch.StartNew();
                var before = MachineCpu.Read();
                var result = await MatrixRunner.RunAsync(options, null, ct);
                seconds.Add(clock.Elapsed.TotalSeconds);
                var ran = result.Cells.Where(c => c.Verdict != Verdict.NotApplicable).ToList();
                if (before is { } start && MachineCpu.Read() is { } after)
                {
                    cpu.Add(after - start);
                    console.WriteLine($"run {run}: CPU {cpu[^1].BusySeconds / Math.Max(1, ran.Count):0.00} core-s and {cpu[^1].Processes / (double)Math.Max(1, ran.Count):0} new processes per cell that ran, " +
                        $"the machine {100 * cpu[^1].BusySeconds / (seconds[^1] * Environment.ProcessorCount):0} % busy");
                }
                cellsRun += ran.Count;
                phases.AddRange(ran.Select(c => c.Phases));
                first ??= result.Cells;
                foreach (var (a, b) in first.Zip(result.Cells))
                {
                    if (a.Verdict != b.Verdict)
                    {
                        differing.Add($"{a.Fault} x {a.Profile}: {a.Verdict.ToWire()} then {b.Verdict.ToWire()}");
                    }
                }
                var regressions = result.Cells.Where(c => c.IsRegression).ToList();
                console.WriteLine($"run {run}: {result.Cells.Count} cells ({ran.Count} ran) in {seconds[^1]:0.0} s, {result.Cells.Count / (seconds[^1] / 60):0} cells per minute, {regressions.Count} regression(s)");
                foreach (var cell in regressions)
                {
                    console.WriteLine($"  regression {cell.Fault} x {cell.Profile}: expected {Figures.Expected(cell)}, got {cell.Verdict.ToWire()}: {cell.Reason}");
                }
            }
            foreach (var d in differing)
            {
                console.WriteLine($"not deterministic: {d}");
            }
            var total = phases.Sum(p => p.TotalMs);
            string Share(Func<CellPhases, double> phase) => total == 0 ? "0 %" : $"{100 * phases.Sum(phase) / total:0} %";
            console.WriteLine($"time in the cells that ran: setup {Share(p => p.SetupMs)}, warm-up {Share(p => p.WarmUpMs)}, scenario {Share(p => p.ScenarioMs)}, after {Share(p => p.AfterMs)}, teardown {Share(p => p.TeardownMs)}; {total / Math.Max(1, cellsRun) / 1000:0.0} s per cell, parallelism {options.Parallelism}");
            if (cpu.Count > 0 && cellsRun > 0)
            {
                // The ceiling: cells per minute if every core did nothing but cells at today's CPU per cell.
                var perCell = cpu.Sum(c => c.BusySeconds) / cellsRun;
                var share = cellsRun / (double)(n * first!.Count);
                console.WriteLine($"CPU: {perCell:0.00} core-s per cell that ran; all {Environment.ProcessorCount} cores busy would give at most {Environment.ProcessorCount * 60 / perCell / share:0} cells per minute");
            }
            console.WriteLine($"matrix: {seconds.Average():0.0} s mean, {seconds.Max():0.0} s max over {n} run(s), {first!.Count / (seconds.Average() / 60):0} cells per minute; {(differing.Count == 0 ? "every verdict identical" : $"{differing.Count} cell(s) changed verdict")}");
            return differing.Count == 0 ? ChaosCli.Ok : ChaosCli.Regression;
        });

        var rounds = WholeNumber.Option("--rounds", "Alternating measurement rounds.", 5, min: 1, max: 50);
        var claims = new Command("claims", "The costs the claims quote: validation per checkout, no pooling per request, recycling's handshakes.") { rounds };
        claims.SetAction((parse, ct) => ClaimsBenchmark.RunAsync(Console.Out, parse.GetValue(rounds), ct));

        return new Command("bench", "Benchmarks: server start times, whole-matrix time and determinism, the claims' costs.") { servers, matrix, claims };
    }
}
