using System.Text.RegularExpressions;
using Chaos.Harness.Reports;
using FluentAssertions;
using NUnit.Framework;

namespace Chaos.Tests.Reports;

/// <summary>The docs show real artifacts; these tests keep them from drifting away from the code.</summary>
public class ReportDocsTests
{
    [Test]
    public void The_example_in_the_schema_doc_is_a_valid_matrix()
    {
        var doc = File.ReadAllText(RepoFile("docs/matrix-schema.md"));
        var example = Regex.Match(doc, "```json\n(.*?)```", RegexOptions.Singleline).Groups[1].Value;

        var result = JsonReport.Deserialize(example, "docs/matrix-schema.md");

        result.Cells.Should().ContainSingle().Which.Timeline.Should().HaveCount(3);
    }

    [Test]
    public void The_schema_doc_names_every_field_a_cell_is_written_with()
    {
        var doc = File.ReadAllText(RepoFile("docs/matrix-schema.md"));
        using var json = System.Text.Json.JsonDocument.Parse(JsonReport.Serialize(SampleMatrix.Create()));
        var cell = json.RootElement.GetProperty("cells")[0];

        var fields = json.RootElement.EnumerateObject().Select(p => p.Name)
            .Concat(cell.EnumerateObject().Select(p => p.Name))
            .Concat(cell.GetProperty("timeline")[0].EnumerateObject().Select(p => p.Name));
        foreach (var field in fields)
            doc.Should().Contain($"| `{field}` |");
    }

    [Test]
    public void The_nightly_doc_shows_the_committed_workflow()
    {
        var workflow = File.ReadAllText(RepoFile(".github/workflows/nightly-chaos.yml"));

        File.ReadAllText(RepoFile("docs/nightly.md")).Should().Contain("```yaml\n" + workflow + "```");
    }

    [Test]
    public void The_nightly_script_asks_for_every_report_format()
    {
        var script = File.ReadAllText(RepoFile("run-chaos.ps1"));

        script.Should().Contain($"'--format', '{string.Join(",", ReportFormats.Names)}'");
    }

    private static string RepoFile(string relative)
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Chaos.sln")))
                return Path.Combine(dir.FullName, relative);
        throw new InvalidOperationException($"No Chaos.sln above {TestContext.CurrentContext.TestDirectory}.");
    }
}
