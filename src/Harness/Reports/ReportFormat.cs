namespace Chaos.Harness.Reports;

/// <summary>What a run reports. <see cref="Table"/> goes to the console; the others are files in the output folder.</summary>
public enum ReportFormat
{
    /// <summary>A colored table on the console.</summary>
    Table,
    /// <summary>matrix.md</summary>
    Markdown,
    /// <summary>matrix.json, the input of a later <c>--baseline</c>.</summary>
    Json,
    /// <summary>junit.xml</summary>
    JUnit,
    /// <summary>matrix.html</summary>
    Html,
}

public static class ReportFormats
{
    /// <summary>The names accepted on the command line, in the order they are documented.</summary>
    public static IReadOnlyList<string> Names { get; } = ["table", "markdown", "json", "junit", "html"];

    public static string Name(this ReportFormat format) => format switch
    {
        ReportFormat.Table => "table",
        ReportFormat.Markdown => "markdown",
        ReportFormat.Json => "json",
        ReportFormat.JUnit => "junit",
        ReportFormat.Html => "html",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
    };

    /// <summary>
    /// Parses a comma-separated list such as "table,json,html" (case-insensitive, spaces allowed).
    /// On failure <paramref name="error"/> names the bad value and the accepted ones, ready for the user.
    /// </summary>
    public static bool TryParse(string? text, out IReadOnlySet<ReportFormat> formats, out string? error)
    {
        var set = new HashSet<ReportFormat>();
        formats = set;
        error = null;
        var parts = (text ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0)
        {
            error = $"No report format given. Use a comma-separated list of: {string.Join(", ", Names)}.";
            return false;
        }
        var unknown = new List<string>();
        foreach (var part in parts)
        {
            var match = Enum.GetValues<ReportFormat>().Where(f => string.Equals(f.Name(), part, StringComparison.OrdinalIgnoreCase)).ToList();
            if (match.Count == 1)
                set.Add(match[0]);
            else
                unknown.Add(part);
        }
        if (unknown.Count > 0)
        {
            var what = unknown.Count == 1 ? $"Unknown report format '{unknown[0]}'" : $"Unknown report formats {string.Join(", ", unknown.Select(u => $"'{u}'"))}";
            error = $"{what}. Accepted: {string.Join(", ", Names)}.";
            return false;
        }
        return true;
    }

    /// <summary>Like <see cref="TryParse"/> but throws <see cref="FormatException"/> with the same message.</summary>
    public static IReadOnlySet<ReportFormat> Parse(string? text) =>
        TryParse(text, out var formats, out var error) ? formats : throw new FormatException(error);
}
