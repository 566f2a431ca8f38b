using Chaos.Harness;
using System.CommandLine;
using Chaos.Harness.Checking;
using Chaos.Harness.Matrix;
using Chaos.Harness.Reports;
using Spectre.Console;

namespace Chaos.Cli;

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
        var parallel = WholeNumber.Option("--parallel", "Cells run at once (each has a PostgreSQL server of its own while it runs).", MatrixOptions.DefaultParallelism, min: 1, max: 256);
        var shard = new Option<Shard?>("--shard")
        {
            Description = "Run only shard I of N (e.g. 2/3): a slice of the selected cells balanced by expected duration; combine the shards with 'chaos merge'.",
            CustomParser = result =>
            {
                var token = string.Join(" ", result.Tokens.Select(t => t.Value));
                if (Shard.TryParse(token, out var parsed, out var error))
                {
                    return parsed;
                }
                result.AddError(error!);
                return null;
            },
        };

        var servers = new ServersOptions();
        var command = new Command("matrix", "Run every fault against every profile and report the verdicts.")
        {
            faults, profiles, custom, format, output, baseline, parallel, shard,
        };
        servers.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            if (!ReportFormats.TryParse(parse.GetValue(format), out var formats, out var formatError))
            {
                throw new UsageException(formatError ?? "bad --format");
            }
            var chosenFaults = Selection.Faults(parse.GetValue(faults));
            var chosenProfiles = Selection.Profiles(parse.GetValue(profiles), parse.GetValue(custom) ?? []);
            var slice = parse.GetValue(shard);
            var cells = slice is null ? null : ShardPlan.CellsOf(chosenFaults, chosenProfiles, slice);
            var options = new MatrixOptions
            {
                Faults = chosenFaults,
                Profiles = chosenProfiles,
                Parallelism = parse.GetValue(parallel),
                Include = cells is null ? null : (fault, profile) => cells.Contains((fault, profile)),
                Servers = servers.Backend(parse),
            };
            var selection = Selection.Record(chosenFaults, chosenProfiles, slice);
            // Everything that can be wrong with the input fails before the first cell, not after the last.
            var outDir = parse.GetValue(output);
            if (formats.Files.Count > 0)
            {
                OutputFolder.EnsureWritable(outDir);
            }
            MatrixRecord? previous = parse.GetValue(baseline) is { } path ? await JsonReport.ReadAsync(path, ct) : null;

            if (slice is not null)
            {
                console.MarkupLineInterpolated($"[grey]shard {slice}: {cells!.Count} of {chosenFaults.Count * chosenProfiles.Count} cells of {selection.Describe()}[/]");
            }
            var result = await MatrixRunner.RunAsync(options, new ProgressLines(console), ct) with { Selection = selection };
            var diff = previous is null ? null : Baseline.Compare(previous, result);

            if (formats.Table)
            {
                ConsoleTable.Render(console, result, diff);
            }
            // Written even when the run was cut short: the finished cells are worth keeping, marked partial.
            var written = await ReportWriter.WriteAsync(result, formats.Files, outDir!, diff, CancellationToken.None);
            foreach (var file in written)
            {
                console.MarkupLineInterpolated($"[grey]wrote {file}[/]");
            }
            if (result.Partial)
            {
                var total = cells?.Count ?? options.Faults.Count * options.Profiles.Count;
                console.MarkupLineInterpolated($"[yellow]partial run:[/] {result.Cells.Count} of {total} cells finished before the run was stopped");
                return ChaosCli.Interrupted; // ChaosCli turns it into the code of the signal that stopped the run
            }
            return Exit(console, result, diff);
        });
        return command;
    }

    /// <summary>1 when a cell missed its expectation or changed against the baseline.</summary>
    internal static int Exit(IAnsiConsole console, MatrixRecord result, BaselineDiff? diff)
    {
        var regressions = result.Cells.Where(c => c.IsRegression).ToList();
        foreach (var cell in regressions)
        {
            console.MarkupLineInterpolated($"[red]regression[/] {cell.Fault} x {cell.Profile}: expected {Figures.Expected(cell)}, got {cell.Verdict.ToWire()} ({cell.Reason}). Expected because: {cell.ExpectedReason}");
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
