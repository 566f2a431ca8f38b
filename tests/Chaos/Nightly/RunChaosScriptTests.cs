using System.Text.RegularExpressions;
using Chaos.Cli;
using Chaos.Harness.Checking;
using Chaos.Harness.Reports;
using Chaos.Tests.Support;
using FluentAssertions;
using NUnit.Framework;

namespace Chaos.Tests.Nightly;

/// <summary>
/// run-chaos.ps1 run for real, with pwsh, against the real CLI on a tiny selection: what it passes through
/// and its exit codes, as the nightly job relies on them.
/// </summary>
[TestFixture]
[NonParallelizable]
public class RunChaosScriptTests
{
    private const string Faults = "latency-spike";
    private const string Profiles = "npgsql-defaults,retry";

    // The first run builds the CLI in Release; on two shared cores that alone can take minutes.
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(8);

    private string _dir = "";

    [SetUp]
    public void MakeDir() => _dir = Directory.CreateTempSubdirectory("chaos-script-").FullName;

    [TearDown]
    public void RemoveDir() => Directory.Delete(_dir, recursive: true);

    [Test]
    public async Task Against_the_committed_baseline_a_shard_of_a_small_selection_exits_0_and_writes_every_report()
    {
        var outDir = Path.Combine(_dir, "shard-1");

        // What CI runs, with the committed baseline by its repository path, restricted to a small selection and one shard.
        var (code, output, error) = await RunAsync("-Baseline", "chaos-baseline/matrix.json", "-Faults", Faults, "-Profiles", Profiles,
            "-Shard", "1/2", "-OutDir", outDir);

        code.Should().Be(ChaosCli.Ok, $"output: {output} error: {error}");
        foreach (var file in new[] { "matrix.json", "matrix.md", "junit.xml", "matrix.html" })
            File.Exists(Path.Combine(outDir, file)).Should().BeTrue($"{file} is written into -OutDir");
        var run = await JsonReport.ReadAsync(Path.Combine(outDir, "matrix.json"), CancellationToken.None);
        run.Selection!.Faults.Should().Equal(Faults);
        run.Selection.Profiles.Should().Equal(Profiles.Split(','));
        run.Selection.Shard.Should().Be(new Shard(1, 2));
        run.Cells.Should().ContainSingle("shard 1 of 2 of two cells");
        output.Should().Contain("0 verdicts changed since baseline", "-Baseline reached the CLI");
        output.Should().Contain("shard 1/2: 1 of 2 cells");
    }

    [Test]
    public async Task A_verdict_that_changed_against_a_baseline_of_the_selection_exits_1()
    {
        // The committed baseline restricted to the selection's cells, with their verdicts doctored.
        var committed = await JsonReport.ReadAsync(Repo.File("chaos-baseline/matrix.json"), CancellationToken.None);
        var doctored = Path.Combine(_dir, "doctored.json");
        var cells = committed.Cells.Where(c => c.Fault == Faults && Profiles.Split(',').Contains(c.Profile)).ToList();
        cells.Should().HaveCount(2).And.OnlyContain(c => c.Verdict == Verdict.Survived, "the baseline's verdicts for the selection");
        await JsonReport.WriteAsync(committed with { Cells = [.. cells.Select(c => c with { Verdict = Verdict.Recovered })] }, doctored, CancellationToken.None);
        var outDir = Path.Combine(_dir, "out");

        var (code, output, error) = await RunAsync("-Baseline", doctored, "-Faults", Faults, "-Profiles", Profiles, "-OutDir", outDir);

        code.Should().Be(ChaosCli.Regression, $"output: {output} error: {error}");
        output.Should().Contain("changed latency-spike / npgsql-defaults: recovered -> survived");
        output.Should().Contain("changed latency-spike / retry: recovered -> survived");
        (await File.ReadAllTextAsync(Path.Combine(outDir, "junit.xml"))).Should().Contain("verdict changed since baseline: recovered -&gt; survived");
    }

    [TestCase("-Shard", "4/3", "--shard '4/3'")]
    [TestCase("-Faults", "volcano", "unknown fault 'volcano'")]
    [TestCase("-Baseline", "no-such-baseline.json", "no-such-baseline.json: the file does not exist")]
    public async Task Bad_input_exits_2_with_the_CLI_s_one_line(string parameter, string value, string says)
    {
        var (code, output, error) = await RunAsync(parameter, value, "-OutDir", Path.Combine(_dir, "out"));

        code.Should().Be(ChaosCli.BadInput, $"output: {output} error: {error}");
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        lines.Should().ContainSingle().Which.Should().StartWith("chaos: ").And.Contain(says);
    }

    [Test]
    public void The_script_passes_every_parameter_the_nightly_docs_name()
    {
        var script = File.ReadAllText(Repo.File("run-chaos.ps1"));
        var parameters = Regex.Matches(script, @"\[string(\[\])?\]\s+\$(\w+)").Select(m => m.Groups[2].Value).ToList();

        parameters.Should().Equal("Faults", "Profiles", "OutDir", "Baseline", "Shard", "NpgsqlVersion");
        var doc = File.ReadAllText(Repo.File("docs/nightly.md"));
        foreach (var parameter in parameters)
            doc.Should().Contain($"| `-{parameter}");
    }

    private Task<(int Code, string Output, string Error)> RunAsync(params string[] args) =>
        Pwsh.RunAsync(Repo.File("run-chaos.ps1"), args, Path.GetDirectoryName(Repo.File("Chaos.sln"))!, Bound);
}
