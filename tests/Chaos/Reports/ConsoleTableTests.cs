using Chaos.Harness.Checking;
using Chaos.Harness.Reports;
using FluentAssertions;
using NUnit.Framework;
using Spectre.Console;

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
        lines.Should().Contain("9 cells: 1 survived, 3 recovered, 1 failed, 1 hung, 1 corrupted, 2 not-applicable; "
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

    private static (IAnsiConsole Console, StringWriter Output) Console(bool ansi)
    {
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = ansi ? AnsiSupport.Yes : AnsiSupport.No,
            ColorSystem = ansi ? ColorSystemSupport.Standard : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        console.Profile.Width = 160;
        if (ansi)
            console.Profile.Capabilities.Unicode = true;
        return (console, output);
    }
}
