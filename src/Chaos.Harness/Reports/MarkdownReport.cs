using System.Text;
using Chaos.Harness.Checking;

namespace Chaos.Harness.Reports;

/// <summary>matrix.md: the matrix as a table, then every cell's figures and reason, then a legend. For PRs and wikis.</summary>
internal sealed class MarkdownReport : IReportFormat
{
    public const string FileName = "matrix.md";

    internal MarkdownReport() { }

    string IReportFormat.Name => "markdown";
    string IReportFormat.FileName => FileName;

    Task IReportFormat.WriteAsync(MatrixRecord matrix, string path, BaselineDiff? baseline, CancellationToken ct) =>
        WriteAsync(matrix, path, baseline, ct);

    public static async Task WriteAsync(MatrixRecord result, string path, BaselineDiff? baseline, CancellationToken ct) =>
        await File.WriteAllTextAsync(path, Render(result, baseline), new UTF8Encoding(false), ct);

    public static string Render(MatrixRecord result, BaselineDiff? baseline = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        var grid = new MatrixGrid(result);
        var md = new StringBuilder();

        md.Append("# Chaos matrix\n\n");
        md.Append($"Started {Figures.Timestamp(result.StartedAt)}, took {Figures.Ms(result.DurationMs)}.");
        if (Figures.Sharding(result) is { } sharding)
            md.Append(' ').Append(char.ToUpperInvariant(sharding[0])).Append(Inline(sharding[1..])).Append('.');
        if (result.Environment.Count > 0)
            md.Append(" Environment: ").Append(string.Join(", ", result.Environment.Select(kv => $"{Inline(kv.Key)} {Inline(kv.Value)}"))).Append('.');
        md.Append("\n\n").Append(Inline(Figures.Summary(result, baseline))).Append(".\n\n");

        AppendTable(md, grid, baseline);
        AppendBaseline(md, baseline);
        AppendDetails(md, grid, baseline);
        AppendLegend(md);
        return md.ToString();
    }

    private static void AppendTable(StringBuilder md, MatrixGrid grid, BaselineDiff? baseline)
    {
        md.Append("## Matrix\n\n");
        if (grid.Faults.Count == 0)
        {
            md.Append("No cells were run.\n\n");
            return;
        }
        md.Append("| fault \\ profile |");
        foreach (var profile in grid.Profiles)
            md.Append(' ').Append(Inline(profile)).Append(" |");
        md.Append("\n|---|");
        foreach (var _ in grid.Profiles)
            md.Append("---|");
        md.Append('\n');
        foreach (var fault in grid.Faults)
        {
            md.Append("| ").Append(Inline(fault)).Append(" |");
            foreach (var profile in grid.Profiles)
                md.Append(' ').Append(grid.Find(fault, profile) is { } cell ? CellText(cell, baseline) : " ").Append(" |");
            md.Append('\n');
        }
        md.Append('\n');
    }

    // A regression is bold and names what was expected, so it stands out in a table of words.
    private static string CellText(CellRecord cell, BaselineDiff? baseline)
    {
        var text = $"{VerdictStyle.Symbol(cell.Verdict)} {cell.Verdict.ToWire()}";
        var notes = new List<string>();
        if (cell.IsRegression)
            notes.Add($"expected {Figures.Expected(cell)}");
        if (baseline?.Find(cell.Fault, cell.Profile) is { } change)
            notes.Add($"was {change.Old.ToWire()}");
        return notes.Count == 0 ? text : $"**{text}** ({string.Join(", ", notes)})";
    }

    private static void AppendBaseline(StringBuilder md, BaselineDiff? baseline)
    {
        if (baseline is null)
            return;
        md.Append("## Changes since baseline\n\n");
        if (baseline.IsIdentical)
            md.Append("None: every cell has the baseline's verdict.\n\n");
        foreach (var line in baseline.Describe())
            md.Append("- ").Append(Inline(line)).Append('\n');
        if (!baseline.IsIdentical)
            md.Append('\n');
    }

    private static void AppendDetails(StringBuilder md, MatrixGrid grid, BaselineDiff? baseline)
    {
        md.Append("## Cells\n\n");
        foreach (var cell in grid.Cells)
        {
            md.Append("- **").Append(Inline(cell.Fault)).Append(" / ").Append(Inline(cell.Profile)).Append("**: ")
              .Append(CellText(cell, baseline)).Append(" — ").Append(Inline(cell.Reason)).Append('\n');
            md.Append("  - ").Append(Inline(Figures.Line(cell))).Append('\n');
            if (cell.Expected is { } expected)
            {
                md.Append("  - expected ").Append(Figures.Expected(cell));
                if (!string.IsNullOrWhiteSpace(cell.ExpectedReason))
                    md.Append(": ").Append(Inline(cell.ExpectedReason));
                md.Append('\n');
            }
        }
        md.Append('\n');
    }

    private static void AppendLegend(StringBuilder md)
    {
        md.Append("## Legend\n\n| verdict | what it means for the service |\n|---|---|\n");
        foreach (var verdict in VerdictStyle.All)
            md.Append($"| {VerdictStyle.Symbol(verdict)} {verdict.ToWire()} | {VerdictStyle.Meaning(verdict)} |\n");
        md.Append("\nA **bold** cell is a regression: its verdict differs from the suite's expectation or from the baseline.\n");
    }

    /// <summary>
    /// Makes text safe inside a table cell or list item: one line, pipes escaped, and HTML and
    /// Markdown punctuation neutralised so a `&lt;script&gt;` in an error message shows as text.
    /// '&gt;' stays: it only matters at the start of a line, where this text never is, and "a -> b" should read as typed.
    /// </summary>
    internal static string Inline(string? text)
    {
        if (string.IsNullOrEmpty(text))
            return "";
        var sb = new StringBuilder(text.Length);
        foreach (var ch in text)
        {
            switch (ch)
            {
                case '\r' or '\n' or '\t': sb.Append(' '); break;
                case '&': sb.Append("&amp;"); break;
                case '<': sb.Append("&lt;"); break;
                case '|' or '\\' or '`' or '*' or '_' or '[' or ']' or '#':
                    sb.Append('\\').Append(ch); break;
                default: sb.Append(ch); break;
            }
        }
        return sb.ToString();
    }
}
