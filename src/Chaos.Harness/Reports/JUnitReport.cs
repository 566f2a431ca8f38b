using System.Globalization;
using System.Text;
using System.Xml;
using Chaos.Harness.Checking;

namespace Chaos.Harness.Reports;

/// <summary>
/// junit.xml: one testsuite per fault, one testcase per cell, so CI dashboards track each cell over time.
/// A testcase fails only when it is a regression (against its expectation or the baseline): a
/// <c>failed</c> verdict the suite expects is a documented fact, not a broken build.
/// </summary>
internal sealed class JUnitReport : IReportFormat
{
    public const string FileName = "junit.xml";

    internal JUnitReport() { }

    string IReportFormat.Name => "junit";
    string IReportFormat.FileName => FileName;

    Task IReportFormat.WriteAsync(MatrixRecord matrix, string path, BaselineDiff? baseline, CancellationToken ct) =>
        WriteAsync(matrix, path, baseline, ct);

    public static async Task WriteAsync(MatrixRecord result, string path, BaselineDiff? baseline, CancellationToken ct) =>
        await File.WriteAllBytesAsync(path, RenderBytes(result, baseline), ct);

    /// <summary>The junit.xml document as text (UTF-8 declared).</summary>
    public static string Render(MatrixRecord result, BaselineDiff? baseline = null) =>
        Utf8.GetString(RenderBytes(result, baseline));

    private static readonly UTF8Encoding Utf8 = new(false);

    // Built in memory: a few hundred cells make a small document, and a half-written file would be
    // worse for a CI dashboard than none.
    private static byte[] RenderBytes(MatrixRecord result, BaselineDiff? baseline)
    {
        ArgumentNullException.ThrowIfNull(result);
        using var buffer = new MemoryStream();
        using (var xml = XmlWriter.Create(buffer, new XmlWriterSettings { Indent = true, Encoding = Utf8 }))
        {
            var grid = new MatrixGrid(result);
            var cases = grid.Cells.Select(c => Classify(c, baseline)).ToList();

            xml.WriteStartDocument();
            xml.WriteStartElement("testsuites");
            xml.WriteAttributeString("name", "chaos");
            WriteCounts(xml, cases, result.DurationMs);
            xml.WriteAttributeString("timestamp", result.StartedAt.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture));

            foreach (var fault in grid.Faults)
            {
                var suite = cases.Where(c => c.Cell.Fault == fault).ToList();
                xml.WriteStartElement("testsuite");
                xml.WriteAttributeString("name", Clean($"chaos.{fault}"));
                WriteCounts(xml, suite, suite.Sum(c => c.Cell.DurationMs));
                foreach (var c in suite)
                    WriteCase(xml, c);
                xml.WriteEndElement();
            }

            xml.WriteEndElement();
            xml.WriteEndDocument();
        }
        return buffer.ToArray();
    }

    private sealed record Case(CellRecord Cell, string? Failure, bool Skipped, string? Error = null);

    private static Case Classify(CellRecord cell, BaselineDiff? baseline)
    {
        // The harness could not judge the cell: JUnit's own word for a test that could not run properly.
        if (cell.Verdict == Verdict.Error)
            return new Case(cell, null, false, cell.Reason);
        var problems = new List<string>();
        if (cell.IsRegression)
            problems.Add($"expected {Figures.Expected(cell)} but was {cell.Verdict.ToWire()}");
        if (baseline?.Find(cell.Fault, cell.Profile) is { } change)
            problems.Add($"verdict changed since baseline: {change.Old.ToWire()} -> {change.New.ToWire()}");
        var failure = problems.Count > 0 ? string.Join("; ", problems) : null;
        return new Case(cell, failure, failure is null && cell.Verdict == Verdict.NotApplicable);
    }

    private static void WriteCounts(XmlWriter xml, IReadOnlyCollection<Case> cases, double durationMs)
    {
        xml.WriteAttributeString("tests", Figures.Count(cases.Count));
        xml.WriteAttributeString("failures", Figures.Count(cases.Count(c => c.Failure is not null)));
        xml.WriteAttributeString("errors", Figures.Count(cases.Count(c => c.Error is not null)));
        xml.WriteAttributeString("skipped", Figures.Count(cases.Count(c => c.Skipped)));
        xml.WriteAttributeString("time", Seconds(durationMs));
    }

    private static void WriteCase(XmlWriter xml, Case c)
    {
        var cell = c.Cell;
        xml.WriteStartElement("testcase");
        xml.WriteAttributeString("name", Clean($"{cell.Fault}__{cell.Profile}"));
        xml.WriteAttributeString("classname", Clean($"chaos.{cell.Fault}"));
        xml.WriteAttributeString("time", Seconds(cell.DurationMs));

        if (c.Error is not null)
        {
            xml.WriteStartElement("error");
            xml.WriteAttributeString("message", Clean(c.Error));
            xml.WriteAttributeString("type", "harness");
            xml.WriteString(Clean(c.Error));
            xml.WriteEndElement();
        }
        else if (c.Failure is not null)
        {
            xml.WriteStartElement("failure");
            xml.WriteAttributeString("message", Clean(c.Failure));
            xml.WriteAttributeString("type", "regression");
            xml.WriteString(Clean($"{c.Failure}\nreason: {cell.Reason}"));
            xml.WriteEndElement();
        }
        else if (c.Skipped)
        {
            xml.WriteStartElement("skipped");
            xml.WriteAttributeString("message", Clean($"not applicable: {cell.Reason}"));
            xml.WriteEndElement();
        }

        xml.WriteStartElement("system-out");
        xml.WriteString(Clean(SystemOut(cell)));
        xml.WriteEndElement();
        xml.WriteEndElement();
    }

    private static string SystemOut(CellRecord cell)
    {
        var text = new StringBuilder();
        text.Append("verdict: ").Append(cell.Verdict.ToWire()).Append('\n');
        if (cell.Expected is { } expected)
            text.Append("expected: ").Append(Figures.Expected(cell))
                .Append(string.IsNullOrWhiteSpace(cell.ExpectedReason) ? "" : $" ({cell.ExpectedReason})").Append('\n');
        text.Append("reason: ").Append(cell.Reason).Append('\n');
        foreach (var (label, value) in Figures.Of(cell))
            text.Append(label).Append(": ").Append(value).Append('\n');
        if (cell.Timeline.Count > 0)
        {
            text.Append("timeline:\n");
            foreach (var e in cell.Timeline)
                text.Append("  ").Append(e.AtMs.ToString("0.0", CultureInfo.InvariantCulture).PadLeft(9)).Append(" ms  ")
                    .Append(e.Kind).Append("  ").Append(e.Detail)
                    .Append(e.SqlState is null ? "" : $"  [{e.SqlState}]").Append('\n');
        }
        return text.ToString();
    }

    private static string Seconds(double ms) => (ms / 1000).ToString("0.###", CultureInfo.InvariantCulture);

    private static string Clean(string text) => Printable.Clean(text);
}
