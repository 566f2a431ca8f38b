using System.Text.RegularExpressions;
using Chaos.Cli;
using Chaos.Harness.Reports;
using Chaos.Tests.Support;
using FluentAssertions;
using NUnit.Framework;
using Spectre.Console;
using YamlDotNet.RepresentationModel;

namespace Chaos.Tests.Nightly;

/// <summary>
/// The nightly workflow read as GitHub reads it (YAML), checked for its shape (shards fanned out per Npgsql
/// version, one merge per version after them) and for every command it runs: each must exist in this
/// repository and parse as the CLI or the script parses it. CI cannot run the workflow; this is what it can check.
/// </summary>
public class WorkflowTests
{
    private static YamlMappingNode? s_workflow;

    // Read on first use, inside a test, where the test directory is known.
    private static YamlMappingNode Workflow => s_workflow ??= Load();
    private static string Root => Path.GetDirectoryName(Repo.File("Chaos.sln"))!;

    /// <summary>Actions the workflow may use, at the major versions it was written against.</summary>
    private static readonly string[] KnownActions =
        ["actions/checkout@v4", "actions/setup-dotnet@v4", "actions/upload-artifact@v4", "actions/download-artifact@v4", "EnricoMi/publish-unit-test-result-action@v2"];

    /// <summary>Commands of the runner image a step may call besides the repository's own.</summary>
    private static readonly string[] SystemCommands = ["sudo", "apt-get", "systemctl", "cat", "[", "true", "echo"];

    private static readonly string[] ShellKeywords = ["if", "then", "else", "fi", "!"];

    [Test]
    public void Shards_fan_out_over_shard_and_Npgsql_version_and_one_merge_per_version_follows_them()
    {
        var jobs = Map(Workflow, "jobs");
        jobs.Children.Keys.Select(k => k.ToString()).Should().Equal("shard", "merge");

        var shardMatrix = Map(Map(Map(jobs, "shard"), "strategy"), "matrix");
        shardMatrix.Children.Keys.Select(k => k.ToString()).Should().Equal("npgsql", "shard");
        var shards = Seq(shardMatrix, "shard").Select(n => int.Parse(n.ToString(), System.Globalization.CultureInfo.InvariantCulture)).ToList();
        shards.Should().Equal(Enumerable.Range(1, shards.Count), "shards are numbered 1..N");
        Scalar(Map(Map(jobs, "shard"), "strategy"), "fail-fast").Should().Be("false", "one failed shard must not cancel the others");

        var merge = Map(jobs, "merge");
        Scalar(merge, "needs").Should().Be("shard");
        Scalar(merge, "if").Should().Be("always()", "a failed shard still gets its reports merged and published");
        var versions = Seq(Map(Map(merge, "strategy"), "matrix"), "include").Cast<YamlMappingNode>().ToList();
        versions.Select(v => Scalar(v, "npgsql")).Should().Equal(Seq(shardMatrix, "npgsql").Select(n => n.ToString()), "every version is merged");
        foreach (var version in versions)
            File.Exists(Path.Combine(Root, Scalar(version, "baseline"))).Should().BeTrue("each version's baseline is committed");

        // The shard count in the run line is the number of shard jobs.
        var run = Steps("shard").Select(s => s.Run).OfType<string>().Single(r => r.Contains("run-chaos.ps1", StringComparison.Ordinal));
        run.Should().Contain($"-Shard ${{{{ matrix.shard }}}}/{shards.Count}").And.Contain("-NpgsqlVersion ${{ matrix.npgsql }}");
    }

    [Test]
    public void What_the_shards_upload_is_what_the_merge_downloads_and_the_merge_publishes_its_junit()
    {
        var upload = Steps("shard").Single(s => s.Uses == "actions/upload-artifact@v4");
        var download = Steps("merge").Single(s => s.Uses == "actions/download-artifact@v4");
        var pattern = "^" + Regex.Escape(Expand(download.With["pattern"], Matrix("merge"))).Replace("\\*", ".*") + "$";
        foreach (var shard in Enumerable.Range(1, 3))
            Expand(upload.With["name"], Matrix("shard") with { Shard = $"{shard}" }).Should().MatchRegex(pattern);

        var mergeRun = Steps("merge").Select(s => s.Run).OfType<string>().Single(r => r.Contains(" merge ", StringComparison.Ordinal));
        mergeRun.Should().Contain($"merge {download.With["path"]} ").And.Contain("--out chaos-out").And.Contain("--baseline ${{ matrix.baseline }}");
        var publish = Steps("merge").Single(s => s.Uses == "EnricoMi/publish-unit-test-result-action@v2");
        publish.With["files"].Should().Be($"chaos-out/{JUnitReport.FileName}");
        publish.If.Should().StartWith("always()", "regressions are exactly when the results must be published");
        Scalar(Map(Map(Map(Workflow, "jobs"), "merge"), "permissions"), "checks").Should().Be("write", "the publisher writes a check run");
        Scalar(Map(Workflow, "permissions"), "contents").Should().Be("read");
    }

    [Test]
    public void Every_action_is_a_known_one_at_its_major_version()
    {
        foreach (var job in new[] { "shard", "merge" })
            foreach (var step in Steps(job).Where(s => s.Uses is not null))
                KnownActions.Should().Contain(step.Uses, $"job {job} uses it");
    }

    [Test]
    public void Every_command_the_workflow_runs_exists_in_the_repository_and_parses()
    {
        var checkedCommands = 0;
        foreach (var job in new[] { "shard", "merge" })
        {
            foreach (var step in Steps(job).Where(s => s.Run is not null))
            {
                foreach (var command in Commands(Expand(step.Run!, Matrix(job))))
                {
                    CheckCommand(command, $"job {job}, step '{step.Name}'");
                    checkedCommands++;
                }
            }
        }
        checkedCommands.Should().BeGreaterThan(5);
    }

    private static void CheckCommand(IReadOnlyList<string> words, string where)
    {
        var program = words[0];
        if (program == "sudo")
        {
            var rest = words.Skip(1).SkipWhile(w => Regex.IsMatch(w, "^[A-Z_]+=")).ToList();
            SystemCommands.Should().Contain(rest[0], $"{where} runs it with sudo");
            return;
        }
        if (program == "./run-chaos.ps1")
        {
            File.Exists(Path.Combine(Root, "run-chaos.ps1")).Should().BeTrue();
            var parameters = Regex.Matches(File.ReadAllText(Path.Combine(Root, "run-chaos.ps1")), @"\[string(\[\])?\]\s+\$(\w+)").Select(m => "-" + m.Groups[2].Value).ToList();
            foreach (var name in words.Skip(1).Where(w => w.StartsWith('-')))
                parameters.Should().Contain(name, $"{where} passes it to run-chaos.ps1");
            var shard = words.SkipWhile(w => w != "-Shard").Skip(1).FirstOrDefault();
            if (shard is not null)
                Shard.TryParse(shard, out _, out var error).Should().BeTrue(error);
            return;
        }
        if (program == "dotnet")
        {
            words.Take(4).Should().Equal(new[] { "dotnet", "run", "-c", "Release" }, $"{where} runs the CLI as the script does");
            var project = words.SkipWhile(w => w != "--project").Skip(1).First();
            File.Exists(Path.Combine(Root, project, "Chaos.Cli.csproj")).Should().BeTrue($"{where} names the CLI's project");
            var args = words.SkipWhile(w => w != "--").Skip(1).ToArray();
            var parsed = ChaosCli.CreateRoot(AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(TextWriter.Null) }), TextWriter.Null).Parse(args);
            parsed.Errors.Select(e => e.Message).Should().BeEmpty($"{where}: chaos {string.Join(' ', args)} parses");
            parsed.CommandResult.Command.Name.Should().BeOneOf("merge", "compare");
            return;
        }
        SystemCommands.Should().Contain(program, $"{where} runs it");
    }

    /// <summary>The commands of a run block: one per line and per ;, &amp;&amp;, ||, shell keywords dropped, comments skipped.</summary>
    private static IEnumerable<IReadOnlyList<string>> Commands(string run)
    {
        foreach (var line in run.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')))
        {
            foreach (var part in Regex.Split(line, @";|&&|\|\|"))
            {
                var words = Regex.Matches(part, "\"[^\"]*\"|'[^']*'|\\S+").Select(m => m.Value.Trim('"', '\'')).ToList();
                var cut = words.FindIndex(w => w.StartsWith('>') || w == "#");
                if (cut >= 0)
                    words = words[..cut];
                words = [.. words.SkipWhile(w => ShellKeywords.Contains(w))];
                if (words.Count > 0)
                    yield return words;
            }
        }
    }

    private sealed record Step(string? Name, string? Uses, string? Run, string? If, IReadOnlyDictionary<string, string> With);

    private sealed record MatrixValues(string Npgsql, string Shard, string Baseline);

    private static MatrixValues Matrix(string job)
    {
        var matrix = Map(Map(Map(Map(Workflow, "jobs"), job), "strategy"), "matrix");
        if (matrix.Children.ContainsKey(new YamlScalarNode("include")))
        {
            var first = (YamlMappingNode)Seq(matrix, "include")[0];
            return new MatrixValues(Scalar(first, "npgsql"), "", Scalar(first, "baseline"));
        }
        return new MatrixValues(Seq(matrix, "npgsql")[0].ToString(), Seq(matrix, "shard")[0].ToString(), "");
    }

    private static string Expand(string text, MatrixValues matrix) => text
        .Replace("${{ matrix.npgsql }}", matrix.Npgsql, StringComparison.Ordinal)
        .Replace("${{ matrix.shard }}", matrix.Shard, StringComparison.Ordinal)
        .Replace("${{ matrix.baseline }}", matrix.Baseline, StringComparison.Ordinal);

    private static List<Step> Steps(string job) =>
        [.. Seq(Map(Map(Workflow, "jobs"), job), "steps").Cast<YamlMappingNode>().Select(s => new Step(
            Optional(s, "name"), Optional(s, "uses"), Optional(s, "run"), Optional(s, "if"),
            s.Children.TryGetValue(new YamlScalarNode("with"), out var with)
                ? ((YamlMappingNode)with).Children.ToDictionary(kv => kv.Key.ToString(), kv => kv.Value.ToString())
                : new Dictionary<string, string>()))];

    private static YamlMappingNode Load()
    {
        var yaml = new YamlStream();
        using var reader = new StringReader(File.ReadAllText(Repo.File(".github/workflows/nightly-chaos.yml")));
        yaml.Load(reader);
        return (YamlMappingNode)yaml.Documents.Single().RootNode;
    }

    private static YamlMappingNode Map(YamlMappingNode node, string key) => (YamlMappingNode)node.Children[new YamlScalarNode(key)];

    private static IReadOnlyList<YamlNode> Seq(YamlMappingNode node, string key) => ((YamlSequenceNode)node.Children[new YamlScalarNode(key)]).Children.ToList();

    private static string Scalar(YamlMappingNode node, string key) => ((YamlScalarNode)node.Children[new YamlScalarNode(key)]).Value!;

    private static string? Optional(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? ((YamlScalarNode)value).Value : null;
}
