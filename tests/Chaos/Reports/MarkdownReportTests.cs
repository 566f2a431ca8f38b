using Chaos.Harness.Checking;
using Chaos.Harness.Reports;
using FluentAssertions;
using NUnit.Framework;

namespace Chaos.Tests.Reports;

public class MarkdownReportTests
{
    [Test]
    public void The_table_has_a_row_per_fault_and_a_column_per_profile()
    {
        var lines = MarkdownReport.Render(SampleMatrix.Create()).Split('\n');

        var header = Array.IndexOf(lines, "| fault \\ profile | default | validate-on-checkout | pgbouncer-tx |");
        header.Should().BePositive();
        lines[header + 1].Should().Be("|---|---|---|---|");
        lines[header + 2].Should().Be("| idle-kill | ↻ recovered | ✓ survived | **✗ failed** (expected recovered) |");
        lines[header + 3].Should().Be("| tcp-reset | **∞ hung** (expected recovered) | ‼ corrupted | ↻ recovered |");
        lines[header + 4].Should().Be("| pgbouncer-restart | – not-applicable | ? error | ✓ survived |");
    }

    [Test]
    public void Every_cell_is_listed_with_its_figures_reason_and_expectation()
    {
        var md = MarkdownReport.Render(SampleMatrix.Create());

        md.Should().Contain("- **idle-kill / default**: ↻ recovered — recovered as measured\n"
                            + "  - requests 400, errors 3, unknown 0, lost 0, duplicated 0, stale reads 0, first write —, recovery 120.5 ms, p50 1.5 ms, p99 48.25 ms, peak server connections 10, duration 20.0 s\n"
                            + "  - expected recovered: claim 1: idle-kill with default\n");
        md.Should().Contain("- **tcp-reset / validate-on-checkout**: ‼ corrupted — 1 acknowledged write missing\n");
    }

    [Test]
    public void Markup_in_run_data_is_escaped()
    {
        var md = MarkdownReport.Render(SampleMatrix.Create());

        md.Should().NotContain("<script>");
        md.Should().Contain("&lt;script>window.\\_\\_pwned = 1&lt;/script> &amp; \"quoted\" 'single'");
    }

    [Test]
    public void The_legend_tells_a_service_owner_what_each_verdict_means()
    {
        var md = MarkdownReport.Render(SampleMatrix.Create());

        var legend = md[md.IndexOf("## Legend", StringComparison.Ordinal)..];
        foreach (var verdict in Enum.GetValues<Verdict>())
            legend.Should().Contain($"| {verdict.ToWire()} |".Replace("| ", "| " + Symbol(verdict) + " "));
        legend.Should().Contain("data incident");
    }

    [Test]
    public void A_baseline_change_is_marked_in_the_table_and_listed()
    {
        var before = SampleMatrix.Create();
        var now = before.WithVerdict("tcp-reset", "pgbouncer-tx", Verdict.Failed);

        var md = MarkdownReport.Render(now, Baseline.Compare(before, now));

        md.Should().Contain("| tcp-reset | **∞ hung** (expected recovered) | ‼ corrupted | **✗ failed** (expected recovered, was recovered) |");
        md.Should().Contain("## Changes since baseline\n\n- changed tcp-reset / pgbouncer-tx: recovered -> failed\n");
    }

    private static string Symbol(Verdict v) => v switch
    {
        Verdict.Survived => "✓",
        Verdict.Recovered => "↻",
        Verdict.Failed => "✗",
        Verdict.Hung => "∞",
        Verdict.Corrupted => "‼",
        Verdict.Error => "?",
        _ => "–",
    };
}
