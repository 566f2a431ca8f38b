using Chaos.Harness.Reports;
using FluentAssertions;
using NUnit.Framework;
using Spectre.Console;

namespace Chaos.Tests.Reports;

public class ReportWriterTests
{
    [Test]
    public async Task Every_file_format_lands_in_a_new_folder_and_its_path_is_returned()
    {
        using var dir = new TempFolder();
        var outDir = Path.Combine(dir.Path, "nested", "chaos-out");
        var console = Quiet(out var consoleText);

        var paths = await ReportWriter.WriteAsync(SampleMatrix.Create(), ReportFormats.Parse("html,junit,json,markdown,table"), outDir, null, console, CancellationToken.None);

        paths.Select(Path.GetFileName).Should().Equal("matrix.json", "matrix.md", "junit.xml", "matrix.html");
        paths.Should().OnlyContain(p => Path.IsPathFullyQualified(p) && File.Exists(p) && new FileInfo(p).Length > 0);
        Path.GetDirectoryName(paths[0]).Should().Be(Path.GetFullPath(outDir));
        consoleText.ToString().Should().Contain("9 cells:");
        (await JsonReport.ReadAsync(paths[0], CancellationToken.None)).Cells.Should().HaveCount(SampleMatrix.CellCount);
    }

    [Test]
    public async Task Only_the_chosen_formats_are_written()
    {
        using var dir = new TempFolder();

        var paths = await ReportWriter.WriteAsync(SampleMatrix.Create(), ReportFormats.Parse("json"), dir.Path, CancellationToken.None);

        paths.Should().ContainSingle().Which.Should().EndWith("matrix.json");
        Directory.GetFiles(dir.Path).Should().ContainSingle();
    }

    [Test]
    public async Task The_table_alone_writes_no_file_and_creates_no_folder()
    {
        using var dir = new TempFolder();
        var outDir = Path.Combine(dir.Path, "unused");

        var paths = await ReportWriter.WriteAsync(SampleMatrix.Create(), ReportFormats.Parse("table"), outDir, null, Quiet(out var text), CancellationToken.None);

        paths.Should().BeEmpty();
        Directory.Exists(outDir).Should().BeFalse();
        text.ToString().Should().Contain("idle-kill");
    }

    [Test]
    public async Task A_cancelled_run_writes_nothing()
    {
        using var dir = new TempFolder();
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        var act = () => ReportWriter.WriteAsync(SampleMatrix.Create(), ReportFormats.Parse("json,html"), dir.Path, cts.Token);

        await act.Should().ThrowAsync<OperationCanceledException>();
        Directory.GetFiles(dir.Path).Should().BeEmpty();
    }

    private static IAnsiConsole Quiet(out StringWriter output)
    {
        output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Ansi = AnsiSupport.No, Out = new AnsiConsoleOutput(output) });
        console.Profile.Width = 160;
        return console;
    }
}
