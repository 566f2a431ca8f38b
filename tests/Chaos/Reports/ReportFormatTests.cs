using Chaos.Harness.Reports;
using FluentAssertions;
using NUnit.Framework;

namespace Chaos.Tests.Reports;

public class ReportFormatTests
{
    [Test]
    public void A_comma_separated_list_parses_whatever_the_case_and_spacing()
    {
        var chosen = ReportFormats.Parse("table, Markdown,JSON ,junit,html,json");

        chosen.Table.Should().BeTrue();
        chosen.Files.Select(f => f.Name).Should().Equal("json", "markdown", "junit", "html");
    }

    [Test]
    public void An_unknown_format_is_named_with_the_accepted_ones()
    {
        ReportFormats.TryParse("table,xml", out _, out var error).Should().BeFalse();

        error.Should().Be("Unknown report format 'xml'. Accepted: table, json, markdown, junit, html.");
    }

    [Test]
    public void Several_unknown_formats_are_all_named()
    {
        var act = () => ReportFormats.Parse("pdf,json,csv");

        act.Should().Throw<FormatException>().WithMessage("Unknown report formats 'pdf', 'csv'. Accepted: table, json, markdown, junit, html.");
    }

    [TestCase("")]
    [TestCase(" , ")]
    [TestCase(null)]
    public void An_empty_list_is_an_error(string? text)
    {
        ReportFormats.TryParse(text, out _, out var error).Should().BeFalse();

        error.Should().Be("No report format given. Use a comma-separated list of: table, json, markdown, junit, html.");
    }

    [Test]
    public void Every_file_format_has_its_own_command_line_name_and_file()
    {
        ReportFormats.Names.Should().OnlyHaveUniqueItems().And.StartWith(ReportFormats.Table);
        ReportFormats.Files.Select(f => f.FileName).Should().OnlyHaveUniqueItems().And.StartWith("matrix.json");
    }

    [Test]
    public void The_table_alone_selects_no_file()
    {
        var chosen = ReportFormats.Parse("table");

        chosen.Table.Should().BeTrue();
        chosen.Files.Should().BeEmpty();
    }
}
