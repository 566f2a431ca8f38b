using Chaos.Harness.Reports;
using FluentAssertions;
using NUnit.Framework;

namespace Chaos.Tests.Reports;

public class ReportWriterTests
{
    [Test]
    public async Task Every_file_format_lands_in_a_new_folder_and_its_path_is_returned()
    {
        using var dir = new TempFolder();
        var outDir = Path.Combine(dir.Path, "nested", "chaos-out");
        var paths = await ReportWriter.WriteAsync(SampleMatrix.Create(), ReportFormats.Parse("html,junit,json,markdown,table").Files, outDir, null, CancellationToken.None);

        paths.Select(Path.GetFileName).Should().Equal("matrix.json", "matrix.md", "junit.xml", "matrix.html");
        paths.Should().OnlyContain(p => Path.IsPathFullyQualified(p) && File.Exists(p) && new FileInfo(p).Length > 0);
        Path.GetDirectoryName(paths[0]).Should().Be(Path.GetFullPath(outDir));
        (await JsonReport.ReadAsync(paths[0], CancellationToken.None)).Cells.Should().HaveCount(SampleMatrix.CellCount);
    }

    [Test]
    public async Task Only_the_chosen_formats_are_written()
    {
        using var dir = new TempFolder();

        var paths = await ReportWriter.WriteAsync(SampleMatrix.Create(), ReportFormats.Parse("json").Files, dir.Path, CancellationToken.None);

        paths.Should().ContainSingle().Which.Should().EndWith("matrix.json");
        Directory.GetFiles(dir.Path).Should().ContainSingle();
    }

    [Test]
    public async Task The_table_alone_writes_no_file_and_creates_no_folder()
    {
        using var dir = new TempFolder();
        var outDir = Path.Combine(dir.Path, "unused");

        var paths = await ReportWriter.WriteAsync(SampleMatrix.Create(), ReportFormats.Parse("table").Files, outDir, null, CancellationToken.None);

        paths.Should().BeEmpty();
        Directory.Exists(outDir).Should().BeFalse();
    }

    [Test]
    public async Task A_cancelled_run_writes_nothing()
    {
        using var dir = new TempFolder();
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        var act = () => ReportWriter.WriteAsync(SampleMatrix.Create(), ReportFormats.Parse("json,html").Files, dir.Path, cts.Token);

        await act.Should().ThrowAsync<OperationCanceledException>();
        Directory.GetFiles(dir.Path).Should().BeEmpty();
    }
}
