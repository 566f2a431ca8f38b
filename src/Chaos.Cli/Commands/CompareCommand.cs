using Chaos.Harness;
using System.CommandLine;
using Chaos.Harness.Checking;
using Chaos.Harness.Reports;
using Spectre.Console;

namespace Chaos.Cli;

/// <summary>
/// `chaos compare A.json B.json`: two runs cell by cell (two Npgsql versions, two PostgreSQL versions), on
/// the console and as compare.md. A comparison judges nothing, so it exits 0 whatever changed.
/// </summary>
internal static class CompareCommand
{
    private static readonly string[] Formats = [ReportFormats.Table, "markdown"];

    public static Command Create(IAnsiConsole console)
    {
        var a = new Argument<string>("a") { Description = "The first matrix.json (A)." };
        var b = new Argument<string>("b") { Description = "The second matrix.json (B)." };
        var format = new Option<string>("--format") { Description = "What to write: table (the console), markdown (compare.md in --out).", DefaultValueFactory = _ => "table,markdown" };
        var output = new Option<string>("--out") { Description = "Directory for compare.md.", DefaultValueFactory = _ => "chaos-out" };

        var command = new Command("compare", "Show what changed, cell by cell, between two matrix.json files.")
        {
            a, b, format, output,
        };
        command.SetAction(async (parse, ct) =>
        {
            var chosen = ChaosCli.List(parse.GetValue(format));
            var bad = chosen.Count == 0 ? "" : chosen.FirstOrDefault(f => !Formats.Contains(f, StringComparer.OrdinalIgnoreCase));
            if (bad is not null)
            {
                throw new UsageException($"--format '{bad}': compare writes {string.Join(", ", Formats)}");
            }
            var table = chosen.Contains(ReportFormats.Table, StringComparer.OrdinalIgnoreCase);
            var markdown = chosen.Contains("markdown", StringComparer.OrdinalIgnoreCase);
            var outDir = parse.GetValue(output)!;
            if (markdown)
            {
                OutputFolder.EnsureWritable(outDir);
            }
            var pathA = parse.GetValue(a)!;
            var pathB = parse.GetValue(b)!;
            var comparison = MatrixComparison.Of(pathA, await JsonReport.ReadAsync(pathA, ct), pathB, await JsonReport.ReadAsync(pathB, ct));

            if (table)
            {
                Render(console, comparison);
            }
            if (markdown)
            {
                var file = Path.GetFullPath(Path.Combine(outDir, ComparisonReport.FileName));
                await ComparisonReport.WriteAsync(comparison, file, ct);
                console.MarkupLineInterpolated($"[grey]wrote {file}[/]");
            }
            return ChaosCli.Ok;
        });
        return command;
    }

    internal static void Render(IAnsiConsole console, MatrixComparison c)
    {
        console.MarkupLineInterpolated($"[bold]A[/] {c.NameA} ({c.Label(a: true)})");
        console.MarkupLineInterpolated($"[bold]B[/] {c.NameB} ({c.Label(a: false)})");
        if (c.Environment.Count == 0)
        {
            console.MarkupLine("environment: the same in both");
        }
        else
        {
            console.MarkupLineInterpolated($"environment: {c.Environment.Count} {Figures.Plural(c.Environment.Count, "key")} differ");
            foreach (var d in c.Environment)
            {
                console.MarkupLineInterpolated($"  {d.Key}: {d.A ?? "(none)"} in A, {d.B ?? "(none)"} in B");
            }
        }
        foreach (var cell in c.Changed)
        {
            console.MarkupLineInterpolated($"[yellow]changed[/] {cell.Fault} / {cell.Profile}: {MatrixComparison.Change(cell)}");
        }
        foreach (var cell in c.OnlyInA.Concat(c.OnlyInB))
        {
            console.MarkupLineInterpolated($"[grey]{(cell.A is null ? "only B" : "only A")}[/]  {cell.Fault} / {cell.Profile}: {(cell.A ?? cell.B)!.Verdict.ToWire()}");
        }
        console.MarkupLineInterpolated($"[bold]{c.Summary()}[/]");
    }
}
