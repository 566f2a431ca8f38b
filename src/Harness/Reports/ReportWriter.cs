using Chaos.Harness.Matrix;
using Spectre.Console;

namespace Chaos.Harness.Reports;

/// <summary>Writes the chosen reports of one run: the files into one folder, the table to the console.</summary>
public static class ReportWriter
{
    /// <summary>Writes the file formats into <paramref name="outDir"/> (created if needed) and returns their paths; the table goes to the standard console.</summary>
    public static Task<IReadOnlyList<string>> WriteAsync(MatrixResult result, IReadOnlySet<ReportFormat> formats, string outDir, CancellationToken ct) =>
        WriteAsync(result, formats, outDir, baseline: null, console: null, ct);

    /// <summary>
    /// As the simpler overload, with the baseline comparison marked in every report (changed cells fail
    /// in junit.xml) and the table rendered to <paramref name="console"/> (default: the standard console).
    /// </summary>
    public static async Task<IReadOnlyList<string>> WriteAsync(
        MatrixResult result,
        IReadOnlySet<ReportFormat> formats,
        string outDir,
        BaselineDiff? baseline,
        IAnsiConsole? console,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(formats);
        ArgumentException.ThrowIfNullOrWhiteSpace(outDir);

        var written = new List<string>();
        if (formats.Any(f => f != ReportFormat.Table))
            Directory.CreateDirectory(outDir);

        // A fixed order whatever the user typed; matrix.json first, because it is the run's record and
        // the next baseline, and must exist even if a later report fails.
        foreach (var format in WriteOrder.Where(formats.Contains))
        {
            ct.ThrowIfCancellationRequested();
            switch (format)
            {
                case ReportFormat.Table:
                    ConsoleTable.Render(console ?? AnsiConsole.Console, result, baseline);
                    break;
                case ReportFormat.Json:
                    written.Add(await Write(outDir, JsonReport.FileName, p => JsonReport.WriteAsync(result, p, ct)));
                    break;
                case ReportFormat.Markdown:
                    written.Add(await Write(outDir, MarkdownReport.FileName, p => MarkdownReport.WriteAsync(result, p, baseline, ct)));
                    break;
                case ReportFormat.JUnit:
                    written.Add(await Write(outDir, JUnitReport.FileName, p => JUnitReport.WriteAsync(result, p, baseline, ct)));
                    break;
                case ReportFormat.Html:
                    written.Add(await Write(outDir, HtmlReport.FileName, p => HtmlReport.WriteAsync(result, p, baseline, ct)));
                    break;
            }
        }
        return written;
    }

    private static readonly ReportFormat[] WriteOrder =
        [ReportFormat.Table, ReportFormat.Json, ReportFormat.Markdown, ReportFormat.JUnit, ReportFormat.Html];

    private static async Task<string> Write(string outDir, string fileName, Func<string, Task> write)
    {
        var path = Path.GetFullPath(Path.Combine(outDir, fileName));
        await write(path);
        return path;
    }
}
