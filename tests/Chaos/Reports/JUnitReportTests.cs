using System.Xml;
using System.Xml.Linq;
using Chaos.Harness.Checking;
using Chaos.Harness.Reports;
using FluentAssertions;
using NUnit.Framework;

namespace Chaos.Tests.Reports;

public class JUnitReportTests
{
    [Test]
    public void The_document_is_valid_xml_with_a_suite_per_fault_and_a_testcase_per_cell()
    {
        var doc = Parse(JUnitReport.Render(SampleMatrix.Create()));

        var root = doc.Root!;
        root.Name.LocalName.Should().Be("testsuites");
        root.Elements("testsuite").Select(s => (string)s.Attribute("name")!)
            .Should().Equal("chaos.idle-kill", "chaos.tcp-reset", "chaos.pgbouncer-restart");
        root.Descendants("testcase").Should().HaveCount(SampleMatrix.CellCount);
        root.Descendants("failure").Should().HaveCount(SampleMatrix.RegressionCount);
        root.Descendants("skipped").Should().HaveCount(SampleMatrix.NotApplicableCount);
        ((int)root.Attribute("tests")!).Should().Be(SampleMatrix.CellCount);
        ((int)root.Attribute("failures")!).Should().Be(SampleMatrix.RegressionCount);
        ((int)root.Attribute("skipped")!).Should().Be(SampleMatrix.NotApplicableCount);
    }

    [Test]
    public void Suite_counts_add_up_per_fault()
    {
        var suites = Parse(JUnitReport.Render(SampleMatrix.Create())).Root!.Elements("testsuite").ToList();

        suites.Select(s => ((int)s.Attribute("tests")!, (int)s.Attribute("failures")!, (int)s.Attribute("skipped")!, (int)s.Attribute("errors")!))
            .Should().Equal((3, 1, 0, 0), (3, 1, 0, 0), (3, 0, 1, 1));
    }

    [Test]
    public void A_cell_the_harness_could_not_judge_is_a_junit_error_not_a_failure()
    {
        var error = Parse(JUnitReport.Render(SampleMatrix.Create())).Descendants("testcase")
            .Single(c => c.Attribute("name")!.Value == "pgbouncer-restart__validate-on-checkout");

        error.Element("error")!.Attribute("message")!.Value.Should().Contain("fault struck nothing");
        error.Element("failure").Should().BeNull();
    }

    [Test]
    public void A_testcase_is_named_fault__profile_and_classed_by_fault()
    {
        var cases = Parse(JUnitReport.Render(SampleMatrix.Create())).Descendants("testcase").ToList();

        cases[0].Attribute("name")!.Value.Should().Be("idle-kill__default");
        cases[0].Attribute("classname")!.Value.Should().Be("chaos.idle-kill");
        cases[0].Attribute("time")!.Value.Should().Be("20");
    }

    [Test]
    public void A_regression_fails_with_the_expected_and_actual_verdicts()
    {
        var failing = Case(Parse(JUnitReport.Render(SampleMatrix.Create())), "tcp-reset__default");

        failing.Element("failure")!.Attribute("message")!.Value.Should().Be("expected recovered but was hung");
        failing.Element("system-out")!.Value.Should().Contain("verdict: hung\nexpected: recovered");
    }

    [Test]
    public void An_expected_bad_verdict_is_not_a_failure()
    {
        var result = SampleMatrix.Create().WithVerdict("idle-kill", "pgbouncer-tx", Verdict.Recovered);

        var doc = Parse(JUnitReport.Render(result));

        Case(doc, "idle-kill__pgbouncer-tx").Element("failure").Should().BeNull();
        Case(doc, "tcp-reset__validate-on-checkout").Element("failure").Should().BeNull("a corrupted cell with no expectation documents a fact");
    }

    [Test]
    public void A_verdict_changed_since_the_baseline_fails_even_without_an_expectation()
    {
        var before = SampleMatrix.Create();
        var now = before.WithVerdict("tcp-reset", "validate-on-checkout", Verdict.Survived);

        var doc = Parse(JUnitReport.Render(now, Baseline.Compare(before, now)));

        Case(doc, "tcp-reset__validate-on-checkout").Element("failure")!.Attribute("message")!.Value
            .Should().Be("verdict changed since baseline: corrupted -> survived");
        doc.Descendants("failure").Should().HaveCount(SampleMatrix.RegressionCount + 1);
    }

    [Test]
    public void Figures_markup_and_control_characters_reach_system_out_as_text()
    {
        var doc = Parse(JUnitReport.Render(SampleMatrix.Create()));

        var output = Case(doc, "idle-kill__pgbouncer-tx").Element("system-out")!.Value;
        output.Should().Contain("reason: " + SampleMatrix.HostileReason);
        output.Should().Contain("server said: " + SampleMatrix.Injection + "  [08006]");
        output.Should().Contain("bell \uFFFD and NUL \uFFFD from a driver message");
        output.Should().Contain("errors: 250");
        Case(doc, "pgbouncer-restart__default").Element("skipped")!.Attribute("message")!.Value
            .Should().Be("not applicable: direct connection: no PgBouncer");
    }

    private static XElement Case(XDocument doc, string name) =>
        doc.Descendants("testcase").Single(c => c.Attribute("name")!.Value == name);

    // XmlReader with default settings checks well-formedness and characters, as a CI parser would.
    private static XDocument Parse(string xml)
    {
        xml.Should().StartWith("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
        using var reader = XmlReader.Create(new StringReader(xml), new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit });
        return XDocument.Load(reader);
    }
}
