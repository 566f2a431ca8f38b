using Chaos.Cli;
using Chaos.Harness.Reports;
using FluentAssertions;
using Chaos.Tests.Support;
using NUnit.Framework;
using Spectre.Console;

namespace Chaos.Tests.Nightly;

/// <summary>
/// The nightly's promise, against real servers: three shards run separately and merged give exactly the cells
/// and verdicts of one whole run.
/// </summary>
[TestFixture]
[NonParallelizable]
public class ShardMergeTests
{
    private static readonly string[] Selection =
        ["matrix", "--faults", "latency-spike,idle-backends-killed", "--profiles", "npgsql-defaults,retry,validate-on-checkout"];

    private string _dir = "";

    [SetUp]
    public void MakeDir() => _dir = Directory.CreateTempSubdirectory("chaos-shards-").FullName;

    [TearDown]
    public void RemoveDir() => Directory.Delete(_dir, recursive: true);

    [Test]
    public async Task Three_shards_run_apart_and_merged_give_the_cells_and_verdicts_of_one_whole_run()
    {
        var whole = Path.Combine(_dir, "whole");
        var (code, output, error) = await RunAsync([.. Selection, "--format", "json", "--out", whole]);
        code.Should().Be(ChaosCli.Ok, $"the whole run meets its expectations; {output} {error}");

        // As CI runs them: at the same time, each on its own, each writing its own folder.
        var shards = await Task.WhenAll(Enumerable.Range(1, 3).Select(i =>
            RunAsync([.. Selection, "--shard", $"{i}/3", "--format", "json", "--out", Path.Combine(_dir, "shards", $"chaos-shard-{i}")])));
        foreach (var (shardCode, shardOutput, shardError) in shards)
            shardCode.Should().Be(ChaosCli.Ok, $"{shardOutput} {shardError}");
        var cellsPerShard = new List<int>();
        for (var i = 1; i <= 3; i++)
        {
            var shard = await JsonReport.ReadAsync(Path.Combine(_dir, "shards", $"chaos-shard-{i}", "matrix.json"), CancellationToken.None);
            shard.Selection!.Shard.Should().Be(new Shard(i, 3));
            cellsPerShard.Add(shard.Cells.Count);
        }
        cellsPerShard.Should().Equal([2, 2, 2], "six cells of two kinds of length split evenly");

        var merged = Path.Combine(_dir, "merged");
        var (mergeCode, mergeOutput, mergeError) = await RunAsync(["merge", Path.Combine(_dir, "shards"), "--out", merged]);
        mergeCode.Should().Be(ChaosCli.Ok, $"{mergeOutput} {mergeError}");

        var one = await JsonReport.ReadAsync(Path.Combine(whole, "matrix.json"), CancellationToken.None);
        var all = await JsonReport.ReadAsync(Path.Combine(merged, "matrix.json"), CancellationToken.None);
        all.Cells.Select(c => (c.Fault, c.Profile, c.Verdict)).Should().Equal(one.Cells.Select(c => (c.Fault, c.Profile, c.Verdict)),
            "the same cells with the same verdicts, in the same order");
        all.Cells.Should().HaveCount(6);
        all.Selection!.SameCellsAs(one.Selection!).Should().BeTrue();
        all.Selection.MergedShards.Should().Be(3);
        all.Environment["npgsql"].Should().Be(one.Environment["npgsql"]);
        all.Environment["harness"].Should().Be(HarnessBuild.Version);
        foreach (var file in new[] { "matrix.md", "junit.xml", "matrix.html" })
            File.Exists(Path.Combine(merged, file)).Should().BeTrue(file);
        (await File.ReadAllTextAsync(Path.Combine(merged, "matrix.html"))).Should().Contain("<figure class=\"chart\">", "the merged page still draws each cell");
    }

    private static Task<(int Code, string Output, string Error)> RunAsync(string[] args) =>
        CliRun.RunAsync(args, TimeSpan.FromMinutes(3));
}
