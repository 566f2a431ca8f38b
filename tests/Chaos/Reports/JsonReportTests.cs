using System.Text.Json;
using Chaos.Harness.Checking;
using Chaos.Harness.Reports;
using FluentAssertions;
using NUnit.Framework;

namespace Chaos.Tests.Reports;

public class JsonReportTests
{
    private TempFolder _dir = null!;

    [SetUp]
    public void SetUp() => _dir = new TempFolder();

    [TearDown]
    public void TearDown() => _dir.Dispose();

    [Test]
    public async Task A_written_matrix_reads_back_with_every_field()
    {
        var original = SampleMatrix.Create();
        var path = _dir.File("matrix.json");

        await JsonReport.WriteAsync(original, path, CancellationToken.None);
        var read = await JsonReport.ReadAsync(path, CancellationToken.None);

        read.Should().BeEquivalentTo(original, o => o.WithStrictOrdering());
        read.StartedAt.Should().Be(original.StartedAt);
        read.Cells.Count(c => c.IsRegression).Should().Be(SampleMatrix.RegressionCount);
    }

    [Test]
    public void A_shard_records_its_selection_and_reads_back()
    {
        var shard = SampleMatrix.Create() with
        {
            Selection = new MatrixSelection
            {
                Faults = ["idle-kill", "tcp-reset"],
                Profiles = ["default", "mine"],
                CustomProfiles = new Dictionary<string, string> { ["mine"] = "Keepalive=10" },
                Shard = new Shard(2, 3),
            },
        };

        var json = JsonReport.Serialize(shard);
        var read = JsonReport.Deserialize(json, "matrix.json");

        using var doc = JsonDocument.Parse(json);
        var selection = doc.RootElement.GetProperty("selection");
        Names(selection).Should().Equal("faults", "profiles", "customProfiles", "shard", "mergedShards");
        Names(selection.GetProperty("shard")).Should().Equal("index", "count");
        read.Selection.Should().BeEquivalentTo(shard.Selection);
        read.Selection!.SameCellsAs(shard.Selection! with { Faults = ["tcp-reset", "idle-kill"] }).Should().BeTrue("the order names were typed in does not matter");
    }

    [Test]
    public async Task A_matrix_written_before_windows_and_series_were_kept_reads_renders_and_writes_again()
    {
        // Six cells of the baseline committed on 2026-11-22, as that build wrote them.
        var baseline = await JsonReport.ReadAsync(Chaos.Tests.Support.Repo.File("tests/Chaos/Reports/matrix-written-2026-11-22.json"), CancellationToken.None);

        baseline.Cells.Should().OnlyContain(c => c.Windows != null && c.Windows.Count == 0 && c.Series != null && c.Series.Buckets.Count == 0);
        HtmlReport.Render(baseline).Should().Contain("No series recorded for a chart");
        JsonReport.Deserialize(JsonReport.Serialize(baseline), "again.json").Cells.Should().HaveCount(baseline.Cells.Count);
    }

    [Test]
    public void A_matrix_written_before_selections_were_kept_reads_with_none()
    {
        var json = JsonReport.Serialize(SampleMatrix.Create()).Replace("\"selection\": null,", "", StringComparison.Ordinal);

        JsonReport.Deserialize(json, "old.json").Selection.Should().BeNull();
    }

    [Test]
    public void A_figure_that_could_not_be_computed_does_not_lose_the_report()
    {
        var result = SampleMatrix.Create();
        result = result with { Cells = [result.Cells[0] with { P99Ms = double.NaN, DurationMs = double.PositiveInfinity }] };

        var json = JsonReport.Serialize(result);
        var read = JsonReport.Deserialize(json, "matrix.json");

        json.Should().Contain("\"p99Ms\": \"NaN\"");
        read.Cells[0].P99Ms.Should().Be(double.NaN);
        read.Cells[0].DurationMs.Should().Be(double.PositiveInfinity);
    }

    [Test]
    public void The_top_level_has_the_documented_fields_in_order()
    {
        using var doc = JsonDocument.Parse(JsonReport.Serialize(SampleMatrix.Create()));

        Names(doc.RootElement).Should().Equal("startedAt", "durationMs", "partial", "environment", "selection", "cells");
        doc.RootElement.GetProperty("startedAt").GetString().Should().Be("2026-11-22T01:30:00.125+00:00");
        doc.RootElement.GetProperty("durationMs").GetDouble().Should().Be(184_250.5);
        doc.RootElement.GetProperty("environment").GetProperty("postgres").GetString().Should().Be("15.18");
        doc.RootElement.GetProperty("cells").GetArrayLength().Should().Be(SampleMatrix.CellCount);
    }

    [Test]
    public void A_cell_has_the_documented_fields_in_order_and_no_derived_ones()
    {
        using var doc = JsonDocument.Parse(JsonReport.Serialize(SampleMatrix.Create()));
        var cell = doc.RootElement.GetProperty("cells")[0];

        Names(cell).Should().Equal(
            "fault", "profile", "verdict", "errors", "unknown", "recoveryMs", "p50Ms", "p99Ms",
            "peakServerConnections", "reason", "requests", "lost", "duplicated", "staleReads", "errorsByCause", "firstWriteMs", "expected", "expectedOr",
            "expectedReason", "durationMs", "timeline", "phases", "windows", "series");
        cell.GetProperty("fault").GetString().Should().Be("idle-kill");
        cell.GetProperty("verdict").GetString().Should().Be("recovered");
        cell.GetProperty("errors").ValueKind.Should().Be(JsonValueKind.Number);
        cell.GetProperty("recoveryMs").GetDouble().Should().Be(120.5);
        Names(cell.GetProperty("timeline")[2]).Should().Equal("atMs", "kind", "detail", "sqlState");
        cell.GetProperty("timeline")[2].GetProperty("sqlState").GetString().Should().Be("57P01");
    }

    [Test]
    public void Absent_figures_are_written_as_null_and_verdicts_as_kebab_case_words()
    {
        using var doc = JsonDocument.Parse(JsonReport.Serialize(SampleMatrix.Create()));
        var cells = doc.RootElement.GetProperty("cells");
        var notApplicable = cells.EnumerateArray().Single(c =>
            c.GetProperty("fault").GetString() == "pgbouncer-restart" && c.GetProperty("profile").GetString() == "validate-on-checkout");

        notApplicable.GetProperty("verdict").GetString().Should().Be("error");
        notApplicable.GetProperty("recoveryMs").ValueKind.Should().Be(JsonValueKind.Null);
        notApplicable.GetProperty("expected").ValueKind.Should().Be(JsonValueKind.Null);
        notApplicable.GetProperty("expectedReason").ValueKind.Should().Be(JsonValueKind.Null);
        cells.EnumerateArray().Select(c => c.GetProperty("verdict").GetString()).Distinct()
            .Should().BeEquivalentTo("survived", "recovered", "failed", "hung", "corrupted", "not-applicable", "error");
    }

    [Test]
    public async Task Reading_a_missing_file_says_it_does_not_exist()
    {
        var path = _dir.File("nowhere/matrix.json");

        var act = () => JsonReport.ReadAsync(path, CancellationToken.None);

        (await act.Should().ThrowAsync<MatrixFileException>())
            .Which.Message.Should().Be($"{path}: the file does not exist.");
    }

    [Test]
    public async Task Reading_a_folder_asks_for_the_file_inside_it()
    {
        var act = () => JsonReport.ReadAsync(_dir.Path, CancellationToken.None);

        (await act.Should().ThrowAsync<MatrixFileException>())
            .Which.Message.Should().Be($"{_dir.Path}: this is a folder; give the matrix.json inside it.");
    }

    [Test]
    public async Task Reading_invalid_json_names_the_file_and_the_line()
    {
        var path = _dir.File("matrix.json");
        await File.WriteAllTextAsync(path, "{\n  \"startedAt\": \"2026-11-22T01:30:00Z\",\n  \"cells\": [ oops ]\n}");

        var act = () => JsonReport.ReadAsync(path, CancellationToken.None);

        var error = (await act.Should().ThrowAsync<MatrixFileException>()).Which;
        error.Path.Should().Be(path);
        error.Message.Should().StartWith(path + ": not a valid matrix").And.Contain("line 3");
        ShouldReadAsPlainText(error.Message);
    }

    [TestCase("", "the file is empty")]
    [TestCase("null", "null")]
    [TestCase("[]", "at $ (line 1): expected a JSON object")]
    [TestCase("""{"startedAt":"2026-11-22T01:30:00Z","durationMs":1}""", "missing required field 'cells'")]
    [TestCase("""{"startedAt":"2026-11-22T01:30:00Z","durationMs":1,"cells":null}""", "at $.cells (line 1): null is not allowed here")]
    [TestCase("""{"startedAt":"2026-11-22T01:30:00Z","durationMs":1,"cells":[{"fault":"f","profile":"p","reason":"r"}]}""", "at $.cells[0] (line 1): missing required field 'verdict'")]
    [TestCase("""{"startedAt":"2026-11-22T01:30:00Z","durationMs":1,"cells":[{"fault":"f","profile":"p","verdict":"exploded","reason":"r"}]}""", "at $.cells[0].verdict (line 1): unknown verdict; accepted: survived, recovered, failed, hung, corrupted, not-applicable")]
    [TestCase("""{"startedAt":"2026-11-22T01:30:00Z","durationMs":"long","cells":[]}""", "$.durationMs")]
    [TestCase("""{"startedAt":"yesterday","durationMs":1,"cells":[]}""", "$.startedAt")]
    [TestCase("""{"startedAt":"2026-11-22T01:30:00Z","durationMs":1,"cells":[{"fault":"f","profile":"p","verdict":"failed","reason":"r","timeline":[{"kind":"k"}]}]}""", "missing required field 'atMs', 'detail'")]
    public void Reading_a_wrong_shape_says_what_and_where(string json, string mentioned)
    {
        var act = () => JsonReport.Deserialize(json, "baseline/matrix.json");

        var error = act.Should().Throw<MatrixFileException>().Which;
        error.Message.Should().StartWith("baseline/matrix.json: ").And.Contain(mentioned);
        ShouldReadAsPlainText(error.Message);
    }

    [Test]
    public void Reading_a_matrix_with_a_cell_twice_names_the_cell()
    {
        var json = """
            {"startedAt":"2026-11-22T01:30:00Z","durationMs":1,"cells":[
              {"fault":"idle-kill","profile":"default","verdict":"failed","reason":"r"},
              {"fault":"idle-kill","profile":"default","verdict":"survived","reason":"r"}]}
            """;

        var act = () => JsonReport.Deserialize(json, "matrix.json");

        act.Should().Throw<MatrixFileException>()
            .WithMessage("matrix.json: not a valid matrix at $.cells[1]: the cell idle-kill / default appears twice.");
    }

    [Test]
    public void Reading_ignores_fields_it_does_not_know_so_newer_files_still_load()
    {
        var json = """{"startedAt":"2026-11-22T01:30:00Z","durationMs":1,"future":true,"cells":[{"fault":"f","profile":"p","verdict":"hung","reason":"r","isRegression":true}]}""";

        var result = JsonReport.Deserialize(json, "matrix.json");

        result.Cells.Should().ContainSingle().Which.Verdict.Should().Be(Verdict.Hung);
    }

    private static List<string> Names(JsonElement element) => element.EnumerateObject().Select(p => p.Name).ToList();

    // What a user sees must not be a .NET dump.
    private static void ShouldReadAsPlainText(string message)
    {
        TestContext.Out.WriteLine(message);
        message.Should().NotContain("Chaos.Harness").And.NotContain("System.").And.NotContain("   at ")
            .And.NotContain("BytePositionInLine");
    }
}
