using Chaos.Harness.Reports;
using FluentAssertions;
using NUnit.Framework;

namespace Chaos.Tests.Reports;

public class ReportFormatTests
{
    [Test]
    public void A_comma_separated_list_parses_whatever_the_case_and_spacing()
    {
        ReportFormats.Parse("table, Markdown,JSON ,junit,html,json")
            .Should().BeEquivalentTo([ReportFormat.Table, ReportFormat.Markdown, ReportFormat.Json, ReportFormat.JUnit, ReportFormat.Html]);
    }

    [Test]
    public void An_unknown_format_is_named_with_the_accepted_ones()
    {
        ReportFormats.TryParse("table,xml", out _, out var error).Should().BeFalse();

        error.Should().Be("Unknown report format 'xml'. Accepted: table, markdown, json, junit, html.");
    }

    [Test]
    public void Several_unknown_formats_are_all_named()
    {
        var act = () => ReportFormats.Parse("pdf,json,csv");

        act.Should().Throw<FormatException>().WithMessage("Unknown report formats 'pdf', 'csv'. Accepted: table, markdown, json, junit, html.");
    }

    [TestCase("")]
    [TestCase(" , ")]
    [TestCase(null)]
    public void An_empty_list_is_an_error(string? text)
    {
        ReportFormats.TryParse(text, out _, out var error).Should().BeFalse();

        error.Should().Be("No report format given. Use a comma-separated list of: table, markdown, json, junit, html.");
    }

    [Test]
    public void Every_format_has_its_command_line_name()
    {
        Enum.GetValues<ReportFormat>().Select(f => f.Name()).Should().Equal(ReportFormats.Names);
    }
}
