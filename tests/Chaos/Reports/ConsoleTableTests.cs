using Chaos.Cli;
using Chaos.Harness.Checking;
using Chaos.Harness.Reports;
using FluentAssertions;
using NUnit.Framework;
using Spectre.Console;
using System.Text.RegularExpressions;
using Chaos.Tests.Support;

namespace Chaos.Tests.Reports;

public class ConsoleTableTests
{
    [Test]
    public void Redirected_output_is_plain_text_that_still_names_every_verdict()
    {
        var (console, output) = Console(ansi: false);

        ConsoleTable.Render(console, SampleMatrix.Create());

        var text = output.ToString();
        TestContext.Out.WriteLine(text);
        text.Should().NotContain("\u001b[");
        text.Should().NotContain("╭").And.Contain("+--");
        foreach (var verdict in Enum.GetValues<Verdict>())
            text.Should().Contain(verdict.ToWire());
        text.Should().Contain("(expected recovered)");
        text.Should().Contain("– n/a", "a not-applicable cell says so in a word that does not wrap");
        foreach (var name in SampleMatrix.Faults.Concat(SampleMatrix.Profiles))
            text.Should().Contain(name);
    }

    [Test]
    public void A_terminal_gets_a_colored_table()
    {
        var (console, output) = Console(ansi: true);

        ConsoleTable.Render(console, SampleMatrix.Create());

        var text = output.ToString();
        text.Should().Contain("\u001b[").And.Contain("╭");
        text.Should().MatchRegex(@"\e\[(31|91)m✗ failed", "failed is red");
        text.Should().MatchRegex(@"\e\[(32|92)m✓ survived", "survived is green");
    }

    [Test]
    public void The_summary_counts_verdicts_regressions_and_baseline_changes()
    {
        var (console, output) = Console(ansi: false);
        var before = SampleMatrix.Create();
        var now = before.WithVerdict("idle-kill", "validate-on-checkout", Verdict.Recovered);

        ConsoleTable.Render(console, now, Baseline.Compare(before, now));

        var lines = output.ToString().Split('\n').Select(l => l.TrimEnd()).ToList();
        lines.Should().Contain("9 cells: 1 survived, 3 recovered, 1 failed, 1 hung, 1 corrupted, 1 not-applicable, 1 error; "
                               + "3 regressions against expectations; 1 verdict changed since baseline");
        lines.Should().Contain("  changed idle-kill / validate-on-checkout: survived -> recovered");
    }

    [Test]
    public void Markup_characters_in_names_do_not_break_the_table()
    {
        var (console, output) = Console(ansi: false);
        var result = SampleMatrix.Create();
        result = result with { Cells = [result.Cells[0] with { Fault = "[red]kill[/]", Profile = "p[0]" }] };

        ConsoleTable.Render(console, result);

        output.ToString().Should().Contain("[red]kill[/]").And.Contain("p[0]");
    }

    [TestCase(80, false)]
    [TestCase(120, false)]
    [TestCase(240, false)]
    [TestCase(80, true)]
    [TestCase(120, true)]
    public async Task The_full_matrix_fits_the_terminal_and_never_cuts_a_word(int width, bool ansi)
    {
        var before = await JsonReport.ReadAsync(Repo.File("chaos-baseline/matrix.json"), CancellationToken.None);
        // One regression against its expectation and one change since the baseline, so the notes are drawn too.
        var now = before.WithVerdict("black-hole", "no-pooling-via-pgbouncer", Verdict.Hung)
            .WithVerdict("server-crash", "resilient", Verdict.Failed);
        var (console, output) = Console(ansi, width);

        ConsoleTable.Render(console, now, Baseline.Compare(before, now));

        var text = Regex.Replace(output.ToString(), @"\e\[[0-9;]*m", "");
        TestContext.Out.WriteLine(text);
        var lines = text.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        lines.Should().OnlyContain(l => l.Length <= width, $"every line fits {width} columns");
        text.Should().NotContain("…", "nothing is cut short");

        // Every table: header rows down to the rule, then one row per fault. Cells hold whole names or whole verdicts,
        // and a profile's header rows, read down its column, spell its name.
        var separator = ansi ? '│' : '|';
        var faults = now.Cells.Select(c => c.Fault).Distinct().ToList();
        var profiles = now.Cells.Select(c => c.Profile).Distinct().ToList();
        var verdict = new Regex(@"^(✓ survived|↻ recovered|✗ failed|∞ hung|‼ corrupted|– n/a|\? error)( \*| \((expected|was) [a-z-]+(, was [a-z-]+)?\))?$");
        var headers = new List<string>();
        var verdicts = new List<string>();
        var rowNames = new List<string>();
        List<string>? columns = null;
        foreach (var line in lines.Select(l => l.Trim()))
        {
            if (line.StartsWith('+') || line.StartsWith('╭'))
                columns = null; // a new table
            else if (line.StartsWith("|-", StringComparison.Ordinal) || line.StartsWith('├'))
                headers.AddRange(columns!.Skip(1)); // the header ends
            else if (line.StartsWith(separator))
            {
                var cells = line.Trim(separator).Split(separator).Select(c => c.Trim()).ToList();
                if (faults.Contains(cells[0]))
                {
                    rowNames.Add(cells[0]);
                    verdicts.AddRange(cells.Skip(1));
                }
                else
                    columns = columns is null ? cells : [.. columns.Zip(cells, (a, b) => a + b)];
            }
        }
        headers.Should().Equal(profiles, "every profile is named whole, or broken only after a hyphen");
        rowNames.Distinct().Should().BeEquivalentTo(faults, "every fault name is shown whole");
        verdicts.Should().OnlyContain(c => verdict.IsMatch(c), "a cell holds one whole verdict");
        verdicts.Should().HaveCount(now.Cells.Count, "every cell is drawn exactly once");
        text.Should().Contain("black-hole / no-pooling-via-pgbouncer").And.Contain("was recovered");
    }

    [Test]
    public void A_name_breaks_only_after_a_hyphen()
    {
        ConsoleTable.Wrap("no-pooling-via-pgbouncer", 11).Should().Equal("no-pooling-", "via-", "pgbouncer");
        ConsoleTable.Wrap("validate-on-checkout", 11).Should().Equal("validate-", "on-checkout");
        ConsoleTable.Wrap("retry", 3).Should().Equal(new[] { "retry" }, "a word longer than the column stays whole");
        ConsoleTable.Segments("-odd--name-").Should().Equal("-odd-", "-name-");
    }

    private static (IAnsiConsole Console, StringWriter Output) Console(bool ansi, int width = 160)
    {
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = ansi ? AnsiSupport.Yes : AnsiSupport.No,
            ColorSystem = ansi ? ColorSystemSupport.Standard : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        console.Profile.Width = width;
        if (ansi)
            console.Profile.Capabilities.Unicode = true;
        return (console, output);
    }
}
