using System.Text.RegularExpressions;
using Chaos.Harness.Reports;
using FluentAssertions;
using Chaos.Tests.Support;
using NUnit.Framework;

namespace Chaos.Tests.Reports;

/// <summary>The docs show real artifacts; these tests keep them from drifting away from the code.</summary>
public class ReportDocsTests
{
    [Test]
    public void The_example_in_the_schema_doc_is_a_valid_matrix()
    {
        var doc = File.ReadAllText(Repo.File("docs/matrix-schema.md"));
        var example = Regex.Match(doc, "```json\n(.*?)```", RegexOptions.Singleline).Groups[1].Value;

        var result = JsonReport.Deserialize(example, "docs/matrix-schema.md");

        result.Cells.Should().ContainSingle().Which.Timeline.Should().HaveCount(3);
        result.Selection!.Shard.Should().Be(new Shard(2, 3));
        result.Environment.Should().ContainKeys("harness", "commit");
    }

    [Test]
    public void The_schema_doc_names_every_field_a_cell_is_written_with()
    {
        var doc = File.ReadAllText(Repo.File("docs/matrix-schema.md"));
        var sample = SampleMatrix.Charted() with
        {
            Selection = new MatrixSelection { Faults = ["idle-kill"], Profiles = ["default"], Shard = new Shard(1, 2) },
        };
        using var json = System.Text.Json.JsonDocument.Parse(JsonReport.Serialize(sample));
        var cell = json.RootElement.GetProperty("cells")[0];
        var selection = json.RootElement.GetProperty("selection");

        var fields = json.RootElement.EnumerateObject().Select(p => p.Name)
            .Concat(selection.EnumerateObject().Select(p => p.Name))
            .Concat(selection.GetProperty("shard").EnumerateObject().Select(p => p.Name))
            .Concat(cell.EnumerateObject().Select(p => p.Name))
            .Concat(cell.GetProperty("timeline")[0].EnumerateObject().Select(p => p.Name));
        foreach (var field in fields)
            doc.Should().Contain($"| `{field}` |");
    }

    [Test]
    public void The_nightly_doc_shows_the_committed_workflow()
    {
        var workflow = File.ReadAllText(Repo.File(".github/workflows/nightly-chaos.yml"));

        File.ReadAllText(Repo.File("docs/nightly.md")).Should().Contain("```yaml\n" + workflow + "```");
    }

    [Test]
    public void The_nightly_script_asks_for_every_report_format()
    {
        var script = File.ReadAllText(Repo.File("run-chaos.ps1"));

        script.Should().Contain($"'--format', '{string.Join(",", ReportFormats.Names)}'");
    }
}
