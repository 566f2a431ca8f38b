using Chaos.Harness;
using System.CommandLine;
using Chaos.Harness.Reports;
using Spectre.Console;

namespace Chaos.Cli;

/// <summary>`chaos merge`: the shards of one run (`chaos matrix --shard I/N`) as one matrix, with every report and the baseline check.</summary>
internal static class MergeCommand
{
    public const string DefaultFormats = "table,json,markdown,junit,html";

    public static Command Create(IAnsiConsole console)
    {
        var paths = new Argument<string[]>("paths")
        {
            Description = "The shards' matrix.json files, or folders holding them (searched recursively, e.g. what actions/download-artifact wrote).",
            Arity = ArgumentArity.OneOrMore,
        };
        var format = new Option<string>("--format") { Description = $"Reports to write: {string.Join(",", ReportFormats.Names)}.", DefaultValueFactory = _ => DefaultFormats };
        var output = new Option<string>("--out") { Description = "Directory for the merged report files.", DefaultValueFactory = _ => "chaos-out" };
        var baseline = new Option<string?>("--baseline") { Description = "A previous matrix.json: list cells whose verdict changed, and exit 1 if any did." };

        var command = new Command("merge", "Combine the shards of one matrix run into one matrix.json and its reports.")
        {
            paths, format, output, baseline,
        };
        command.SetAction(async (parse, ct) =>
        {
            if (!ReportFormats.TryParse(parse.GetValue(format), out var formats, out var formatError))
            {
                throw new UsageException(formatError ?? "bad --format");
            }
            var outDir = parse.GetValue(output)!;
            if (formats.Files.Count > 0)
            {
                OutputFolder.EnsureWritable(outDir);
            }
            MatrixRecord? previous = parse.GetValue(baseline) is { } path ? await JsonReport.ReadAsync(path, ct) : null;

            var files = Find(parse.GetValue(paths) ?? [], outDir);
            var inputs = new List<MergeInput>();
            foreach (var file in files)
            {
                inputs.Add(new MergeInput(file, await JsonReport.ReadAsync(file, ct)));
            }
            var merged = MatrixMerge.Merge(inputs);
            foreach (var input in inputs)
            {
                console.MarkupLineInterpolated($"[grey]merged {input.Source}: shard {input.Matrix.Selection!.Shard?.ToString() ?? "1/1"}, {input.Matrix.Cells.Count} cells[/]");
            }
            if (merged.Environment.GetValueOrDefault("commit") == HarnessBuild.UnknownCommit)
            {
                console.MarkupLine("[yellow]note:[/] the shards' harness commit is unknown (built outside a git checkout); they were matched on the harness version alone");
            }

            var diff = previous is null ? null : Baseline.Compare(previous, merged);
            if (formats.Table)
            {
                ConsoleTable.Render(console, merged, diff);
            }
            var written = await ReportWriter.WriteAsync(merged, formats.Files, outDir, diff, ct);
            foreach (var file in written)
            {
                console.MarkupLineInterpolated($"[grey]wrote {file}[/]");
            }
            return MatrixCommand.Exit(console, merged, diff);
        });
        return command;
    }

    /// <summary>
    /// The matrix.json files named or found under the folders named, each once, in a stable order. The merge's
    /// own output (--out's matrix.json) is skipped, so merging into a folder beneath the inputs can be repeated.
    /// </summary>
    internal static IReadOnlyList<string> Find(IReadOnlyList<string> paths, string outDir)
    {
        var own = Path.GetFullPath(Path.Combine(outDir, JsonReport.FileName));
        var files = new List<string>();
        foreach (var path in paths)
        {
            if (File.Exists(path))
            {
                files.Add(path);
            }
            else if (Directory.Exists(path))
            {
                var found = Directory.EnumerateFiles(path, JsonReport.FileName, new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true })
                    .Where(f => Path.GetFullPath(f) != own)
                    .Order(StringComparer.Ordinal)
                    .ToList();
                if (found.Count == 0)
                {
                    throw new UsageException($"merge: the folder '{path}' holds no {JsonReport.FileName}; give the folders the shards wrote their reports to");
                }
                files.AddRange(found);
            }
            else
            {
                throw new UsageException($"merge: '{path}' does not exist; give the shards' {JsonReport.FileName} files or folders holding them");
            }
        }
        return [.. files.DistinctBy(Path.GetFullPath)];
    }
}
