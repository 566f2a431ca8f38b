namespace Chaos.Harness.Reports;

/// <summary>A report file of a run. One class per format, registered once in <see cref="ReportFormats.Files"/>.</summary>
internal interface IReportFormat
{
    /// <summary>The name on the command line (<c>--format</c>).</summary>
    string Name { get; }

    /// <summary>The file it writes in the output folder.</summary>
    string FileName { get; }

    /// <summary>Writes the report of <paramref name="matrix"/> to <paramref name="path"/>, with the baseline comparison marked when there is one.</summary>
    Task WriteAsync(MatrixRecord matrix, string path, BaselineDiff? baseline, CancellationToken ct);
}

/// <summary>The formats chosen on the command line: the console table (the CLI draws it) and report files.</summary>
internal sealed record ReportSelection(bool Table, IReadOnlyList<IReportFormat> Files);

internal static class ReportFormats
{
    /// <summary>The console table: not a file, so the CLI draws it; listed here so one parser knows every name.</summary>
    public const string Table = "table";

    /// <summary>Every report file, in the order they are written: matrix.json first, the run's record and the next baseline.</summary>
    public static IReadOnlyList<IReportFormat> Files { get; } = [new JsonReport(), new MarkdownReport(), new JUnitReport(), new HtmlReport()];

    /// <summary>The names accepted on the command line, in the order they are documented.</summary>
    public static IReadOnlyList<string> Names { get; } = [Table, .. Files.Select(f => f.Name)];

    /// <summary>
    /// Parses a comma-separated list such as "table,json,html" (case-insensitive, spaces allowed).
    /// On failure <paramref name="error"/> names the bad value and the accepted ones, ready for the user.
    /// </summary>
    public static bool TryParse(string? text, out ReportSelection selection, out string? error)
    {
        selection = new ReportSelection(false, []);
        error = null;
        var parts = (text ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0)
        {
            error = $"No report format given. Use a comma-separated list of: {string.Join(", ", Names)}.";
            return false;
        }
        var unknown = parts.Where(p => !Names.Contains(p, StringComparer.OrdinalIgnoreCase)).ToList();
        if (unknown.Count > 0)
        {
            var what = unknown.Count == 1 ? $"Unknown report format '{unknown[0]}'" : $"Unknown report formats {string.Join(", ", unknown.Select(u => $"'{u}'"))}";
            error = $"{what}. Accepted: {string.Join(", ", Names)}.";
            return false;
        }
        bool Chosen(string name) => parts.Contains(name, StringComparer.OrdinalIgnoreCase);
        selection = new ReportSelection(Chosen(Table), [.. Files.Where(f => Chosen(f.Name))]);
        return true;
    }

    /// <summary>Like <see cref="TryParse"/> but throws <see cref="FormatException"/> with the same message.</summary>
    public static ReportSelection Parse(string? text) =>
        TryParse(text, out var selection, out var error) ? selection : throw new FormatException(error);
}
