using System.CommandLine;
using Chaos.Harness.Checking;
using Chaos.Harness.Matrix;
using Chaos.Harness.Reports;
using Spectre.Console;

namespace Chaos.Harness.Cli;

/// <summary>`chaos matrix`: run the chosen cells, show the matrix, write reports, compare with a baseline.</summary>
internal static class MatrixCommand
{
    public static Command Create(IAnsiConsole console)
    {
        var faults = new Option<string?>("--faults") { Description = "Comma-separated faults to run (default: all; see 'chaos list')." };
        var profiles = new Option<string?>("--profiles") { Description = "Comma-separated built-in profiles (default: all)." };
        var custom = new Option<string[]>("--profile")
        {
            Description = "Your own profile: NAME=\"<npgsql settings>\", repeatable, e.g. mine=\"Maximum Pool Size=5;Keepalive=10\".",
            AllowMultipleArgumentsPerToken = false,
        };
        var format = new Option<string>("--format") { Description = $"Reports to write: {string.Join(",", ReportFormats.Names)}.", DefaultValueFactory = _ => "table,json" };
        var output = new Option<string>("--out") { Description = "Directory for the report files.", DefaultValueFactory = _ => "chaos-out" };
        var baseline = new Option<string?>("--baseline") { Description = "A previous matrix.json: list cells whose verdict changed, and exit 1 if any did." };
        var parallel = new Option<int>("--parallel") { Description = "Cells run at once (each has its own PostgreSQL).", DefaultValueFactory = _ => MatrixOptions.DefaultParallelism };

        var command = new Command("matrix", "Run every fault against every profile and report the verdicts.")
        {
            faults, profiles, custom, format, output, baseline, parallel,
        };
        command.SetAction(async (parse, ct) =>
        {
            if (!ReportFormats.TryParse(parse.GetValue(format), out var formats, out var formatError))
            {
                throw new UsageException(formatError ?? "bad --format");
            }
            if (parse.GetValue(parallel) is var n && n < 1)
            {
                throw new UsageException($"--parallel {n}: give a whole number of at least 1");
            }
            var options = new MatrixOptions
            {
                Faults = Selection.Faults(parse.GetValue(faults)),
                Profiles = Selection.Profiles(parse.GetValue(profiles), parse.GetValue(custom) ?? []),
                Parallelism = n,
            };
            // Read the baseline before spending minutes on the matrix: a bad path should fail at once.
            MatrixResult? previous = parse.GetValue(baseline) is { } path ? await JsonReport.ReadAsync(path, ct) : null;

            var result = await MatrixRunner.RunAsync(options, new ProgressLines(console), ct);
            var diff = previous is null ? null : Baseline.Compare(previous, result);

            var written = await ReportWriter.WriteAsync(result, formats, parse.GetValue(output)!, diff, console, ct);
            foreach (var file in written)
            {
                console.MarkupLineInterpolated($"[grey]wrote {file}[/]");
            }
            return Exit(console, result, diff);
        });
        return command;
    }

    /// <summary>1 when a cell missed its expectation or changed against the baseline.</summary>
    internal static int Exit(IAnsiConsole console, MatrixResult result, BaselineDiff? diff)
    {
        var regressions = result.Cells.Where(c => c.IsRegression).ToList();
        foreach (var cell in regressions)
        {
            console.MarkupLineInterpolated($"[red]regression[/] {cell.Fault} x {cell.Profile}: expected {cell.Expected!.Value.ToWire()}, got {cell.Verdict.ToWire()} ({cell.Reason}). Expected because: {cell.ExpectedReason}");
        }
        var changed = diff is { HasChanges: true };
        return regressions.Count > 0 || changed ? ChaosCli.Regression : ChaosCli.Ok;
    }

    /// <summary>One line per finished cell: works in a terminal and in a CI log alike.</summary>
    private sealed class ProgressLines(IAnsiConsole console) : IProgress<CellProgress>
    {
        private int _done;

        public void Report(CellProgress value)
        {
            if (value.Result is not { } cell)
            {
                return;
            }
            var done = Interlocked.Increment(ref _done);
            var style = VerdictStyle.ConsoleStyle(cell.Verdict);
            var mark = cell.IsRegression ? " [red](regression)[/]" : "";
            console.MarkupLine($"[grey][[{done,3}/{value.Total}]][/] {Markup.Escape(cell.Fault)} x {Markup.Escape(cell.Profile)}: [{style}]{cell.Verdict.ToWire()}[/]{mark} [grey]{cell.DurationMs / 1000:0.0} s[/]");
        }
    }
}
