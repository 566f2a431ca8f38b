using System.Text;
using Chaos.Harness.Checking;

namespace Chaos.Harness.Reports;

/// <summary>compare.md: two runs side by side (`chaos compare`), the differing environment first, then every changed cell, then every cell.</summary>
internal static class ComparisonReport
{
    public const string FileName = "compare.md";

    public static async Task WriteAsync(MatrixComparison comparison, string path, CancellationToken ct) =>
        await File.WriteAllTextAsync(path, Render(comparison), new UTF8Encoding(false), ct);

    public static string Render(MatrixComparison comparison)
    {
        ArgumentNullException.ThrowIfNull(comparison);
        var c = comparison;
        var md = new StringBuilder();
        var a = MarkdownReport.Inline(c.Label(a: true));
        var b = MarkdownReport.Inline(c.Label(a: false));
        md.Append("# Chaos comparison\n\n");
        md.Append($"- **A**: {MarkdownReport.Inline(c.NameA)} ({a}), started {Figures.Timestamp(c.A.StartedAt)}, {c.A.Cells.Count} {Figures.Plural(c.A.Cells.Count, "cell")}\n");
        md.Append($"- **B**: {MarkdownReport.Inline(c.NameB)} ({b}), started {Figures.Timestamp(c.B.StartedAt)}, {c.B.Cells.Count} {Figures.Plural(c.B.Cells.Count, "cell")}\n\n");
        md.Append(MarkdownReport.Inline(c.Summary())).Append(".\n\n");

        md.Append("## Environment\n\n");
        if (c.Environment.Count == 0)
        {
            md.Append("Both runs recorded the same environment.\n\n");
        }
        else
        {
            md.Append("| key | A | B |\n|---|---|---|\n");
            foreach (var d in c.Environment)
                md.Append($"| {MarkdownReport.Inline(d.Key)} | {Value(d.A)} | {Value(d.B)} |\n");
            md.Append('\n');
        }

        md.Append("## Changed verdicts\n\n");
        var changed = c.Changed.ToList();
        if (changed.Count == 0)
        {
            md.Append("None: every cell in both runs has the same verdict.\n\n");
        }
        else
        {
            md.Append($"| fault | profile | A: {a} | B: {b} | errors | p99 |\n|---|---|---|---|---|---|\n");
            foreach (var cell in changed)
                md.Append($"| {MarkdownReport.Inline(cell.Fault)} | {MarkdownReport.Inline(cell.Profile)} | {Verdict(cell.A)} | {Verdict(cell.B)} | "
                          + $"{cell.A!.Errors} → {cell.B!.Errors} | {Figures.Ms(cell.A.P99Ms)} → {Figures.Ms(cell.B.P99Ms)} |\n");
            md.Append('\n');
        }

        AppendOnly(md, "Only in A", c.OnlyInA.Select(x => x.A!));
        AppendOnly(md, "Only in B", c.OnlyInB.Select(x => x.B!));

        md.Append("## Every cell\n\nA changed verdict is **bold**.\n\n");
        md.Append("| fault | profile | A | B | errors A | errors B | p99 A | p99 B |\n|---|---|---|---|---|---|---|---|\n");
        foreach (var cell in c.Cells)
        {
            var bold = cell.VerdictChanged ? "**" : "";
            md.Append($"| {MarkdownReport.Inline(cell.Fault)} | {MarkdownReport.Inline(cell.Profile)} | {bold}{Verdict(cell.A)}{bold} | {bold}{Verdict(cell.B)}{bold} | "
                      + $"{Count(cell.A)} | {Count(cell.B)} | {P99(cell.A)} | {P99(cell.B)} |\n");
        }
        return md.ToString();
    }

    private static void AppendOnly(StringBuilder md, string title, IEnumerable<CellRecord> cells)
    {
        var list = cells.ToList();
        if (list.Count == 0)
            return;
        md.Append($"## {title}\n\n");
        foreach (var cell in list)
            md.Append($"- {MarkdownReport.Inline(cell.Fault)} / {MarkdownReport.Inline(cell.Profile)}: {Verdict(cell)}\n");
        md.Append('\n');
    }

    private static string Value(string? value) => value is null ? "—" : MarkdownReport.Inline(value);

    private static string Verdict(CellRecord? cell) =>
        cell is null ? "—" : $"{VerdictStyle.Symbol(cell.Verdict)} {cell.Verdict.ToWire()}";

    private static string Count(CellRecord? cell) => cell is null || cell.Verdict == Checking.Verdict.NotApplicable ? "—" : Figures.Count(cell.Errors);

    private static string P99(CellRecord? cell) => cell is null ? "—" : Figures.Ms(cell.P99Ms);
}
