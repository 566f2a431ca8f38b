namespace Chaos.Harness.Reports;

/// <summary>Writes the chosen report files of one run into one folder.</summary>
internal static class ReportWriter
{
    /// <summary>Writes <paramref name="formats"/> into <paramref name="outDir"/> (created if needed) and returns their paths.</summary>
    public static Task<IReadOnlyList<string>> WriteAsync(MatrixRecord matrix, IReadOnlyList<IReportFormat> formats, string outDir, CancellationToken ct) =>
        WriteAsync(matrix, formats, outDir, baseline: null, ct);

    /// <summary>As the simpler overload, with the baseline comparison marked in every report (changed cells fail in junit.xml).</summary>
    public static async Task<IReadOnlyList<string>> WriteAsync(MatrixRecord matrix, IReadOnlyList<IReportFormat> formats, string outDir, BaselineDiff? baseline, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        ArgumentNullException.ThrowIfNull(formats);
        ArgumentException.ThrowIfNullOrWhiteSpace(outDir);

        var written = new List<string>();
        if (formats.Count > 0)
        {
            Directory.CreateDirectory(outDir);
        }
        // The registry's order whatever the user typed: matrix.json first, so it exists even if a later report fails.
        foreach (var format in ReportFormats.Files.Where(formats.Contains))
        {
            ct.ThrowIfCancellationRequested();
            var path = Path.GetFullPath(Path.Combine(outDir, format.FileName));
            await format.WriteAsync(matrix, path, baseline, ct);
            written.Add(path);
        }
        return written;
    }
}
