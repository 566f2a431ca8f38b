using Chaos.Cli;
using Chaos.Harness.Checking;
using Chaos.Harness.Profiles;
using Chaos.Harness.Reports;
using Chaos.Tests.Reports;
using FluentAssertions;
using Chaos.Tests.Support;
using NUnit.Framework;
using Spectre.Console;

namespace Chaos.Tests.Cli;

/// <summary>
/// `chaos merge` on hand-made shard reports (no servers): what it combines, and every way shards can fail
/// to make one run, each refused with one line and exit code 2. The same over real runs: Nightly/ShardMergeTests.
/// </summary>
[TestFixture]
[NonParallelizable]
public class MergeCommandTests
{
    private static readonly string[] Faults = ["latency-spike", "idle-backends-killed"];
    private static readonly string[] Profiles = ["npgsql-defaults", "retry", "validate-on-checkout"];
    private string _dir = "";

    [SetUp]
    public void MakeDir() => _dir = Directory.CreateTempSubdirectory("chaos-merge-").FullName;

    [TearDown]
    public void RemoveDir() => Directory.Delete(_dir, recursive: true);

    [Test]
    public async Task Three_shards_merge_into_the_whole_run_with_every_report()
    {
        var shards = await WriteAsync(Shards(3));
        var outDir = Path.Combine(_dir, "merged");

        var (code, output, error) = await RunAsync(["merge", shards, "--out", outDir]);

        code.Should().Be(ChaosCli.Ok, $"{output} {error}");
        foreach (var file in new[] { "matrix.json", "matrix.md", "junit.xml", "matrix.html" })
            File.Exists(Path.Combine(outDir, file)).Should().BeTrue(file);
        var merged = await JsonReport.ReadAsync(Path.Combine(outDir, "matrix.json"), CancellationToken.None);
        merged.Cells.Select(c => (c.Fault, c.Profile)).Should().Equal(from f in Faults from p in Profiles select (f, p), "the order of one whole run");
        merged.Partial.Should().BeFalse();
        merged.Selection!.Shard.Should().BeNull();
        merged.Selection.MergedShards.Should().Be(3);
        merged.Environment["npgsql"].Should().Be("10.0.0");
        merged.Environment["machine"].Should().Be("runner 1 | runner 2 | runner 3", "keys that may differ keep every value");
        merged.StartedAt.Should().Be(Start);
        merged.DurationMs.Should().Be(3 * 60_000, "from the first start to the last end");
        output.Should().Contain("6 cells: 4 survived, 2 recovered");
        (await File.ReadAllTextAsync(Path.Combine(outDir, "matrix.md"))).Should().Contain("3 shards of 2 faults x 3 profiles merged");
    }

    [Test]
    public async Task Shard_files_can_be_named_one_by_one_and_a_folder_twice_counts_once()
    {
        await WriteAsync(Shards(2));
        var files = Directory.GetFiles(_dir, "matrix.json", SearchOption.AllDirectories).Order().ToList();

        var (code, output, error) = await RunAsync(["merge", files[0], _dir, files[1], "--format", "json", "--out", Path.Combine(_dir, "out")]);

        code.Should().Be(ChaosCli.Ok, $"{output} {error}");
        output.Split('\n').Count(l => l.StartsWith("merged ", StringComparison.Ordinal)).Should().Be(2);
    }

    [Test]
    public async Task Merging_again_into_a_folder_beneath_the_shards_skips_its_own_last_output()
    {
        var shards = await WriteAsync(Shards(3));
        var outDir = Path.Combine(shards, "merged");

        (await RunAsync(["merge", shards, "--format", "json", "--out", outDir])).Code.Should().Be(ChaosCli.Ok);
        var (code, output, error) = await RunAsync(["merge", shards, "--format", "json", "--out", outDir]);

        code.Should().Be(ChaosCli.Ok, $"{output} {error}");
    }

    [Test]
    public async Task Shards_built_outside_a_git_checkout_merge_on_their_version_and_say_so()
    {
        var unknown = Shards(3).Select(m => m with { Environment = new Dictionary<string, string>(m.Environment) { ["harness"] = "1.0.0", ["commit"] = HarnessBuild.UnknownCommit } }).ToList();
        var shards = await WriteAsync(unknown);

        var (code, output, error) = await RunAsync(["merge", shards, "--format", "json", "--out", Path.Combine(_dir, "out")]);

        code.Should().Be(ChaosCli.Ok, $"{output} {error}");
        output.Should().Contain("note: the shards' harness commit is unknown (built outside a git checkout); they were matched on the harness version alone");
    }

    [Test]
    public async Task The_merged_run_is_checked_against_a_baseline_and_a_changed_verdict_exits_1()
    {
        var shards = await WriteAsync(Shards(3));
        var whole = new MatrixRecord { StartedAt = Start, DurationMs = 1, Cells = [.. Shards(1)[0].Cells] };
        var same = Path.Combine(_dir, "same.json");
        var changed = Path.Combine(_dir, "changed.json");
        await JsonReport.WriteAsync(whole, same, CancellationToken.None);
        await JsonReport.WriteAsync(whole.WithVerdict("latency-spike", "retry", Verdict.Recovered), changed, CancellationToken.None);

        (await RunAsync(["merge", shards, "--format", "table", "--baseline", same])).Code.Should().Be(ChaosCli.Ok);
        var (code, output, _) = await RunAsync(["merge", shards, "--format", "table", "--baseline", changed]);

        code.Should().Be(ChaosCli.Regression);
        output.Should().Contain("changed latency-spike / retry: recovered -> survived");
    }

    private static IEnumerable<TestCaseData> Refusals()
    {
        TestCaseData Case(string name, Func<List<MatrixRecord>, List<MatrixRecord>> spoil, string says) =>
            new TestCaseData(spoil, says).SetName($"Merge refuses {name} with one line and exit code 2");

        yield return Case("shards of different Npgsql versions", s => Set(s, 1, "npgsql", "9.0.5"), "different versions: npgsql 10.0.0 in ");
        yield return Case("shards of different PostgreSQL versions", s => Set(s, 2, "postgres", "16.4"), "different versions: postgres 15.18 in ");
        yield return Case("shards of different harness builds", s => Set(s, 2, "commit", "0123456789abcdef0123456789abcdef01234567"), "different harness builds: commit ");
        yield return Case("a shard whose build is not recorded", s => Without(s, 0, "harness"), "different harness builds: harness (not recorded) in ");
        yield return Case("shards of different selections", s => With(s, 1, m => m with { Selection = m.Selection! with { Faults = ["latency-spike", "black-hole"] } }), "different selections:");
        yield return Case("settings of a profile of one's own that differ", s => With(s, 1, m => m with { Selection = m.Selection! with { CustomProfiles = new Dictionary<string, string> { ["retry"] = "Keepalive=1" } } }), "different selections:");
        yield return Case("a missing shard", s => [s[0], s[2]], "shard 2/3 is missing (given: 1/3, 3/3)");
        yield return Case("a shard given twice", s => [.. s, s[0]], "shard 1/3 is given twice");
        yield return Case("a duplicated cell", s => With(s, 1, m => m with { Cells = [.. m.Cells, s[0].Cells[0]] }), "appears twice");
        yield return Case("a missing cell", s => With(s, 2, m => m with { Cells = [.. m.Cells.Skip(1)] }), "of the selection is in no shard");
        yield return Case("a cell outside the selection", s => With(s, 0, m => m with { Cells = [.. m.Cells, m.Cells[0] with { Fault = "black-hole" }] }), "which its selection does not include");
        yield return Case("a partial run", s => With(s, 1, m => m with { Partial = true }), "is a partial run (stopped before every cell finished) of shard 2/3");
        yield return Case("a run that records no selection", s => With(s, 0, m => m with { Selection = null }), "records no selection");
        yield return Case("shards of different counts", s => With(s, 1, m => m with { Selection = m.Selection! with { Shard = new Shard(2, 4) } }), "different shard counts:");
    }

    [TestCaseSource(nameof(Refusals))]
    // The spoiler comes as a Delegate: MatrixRecord is internal, and an NUnit test method must be public.
    public async Task Merge_refuses_shards_that_are_not_one_run(Delegate spoil, string says)
    {
        var shards = await WriteAsync(((Func<List<MatrixRecord>, List<MatrixRecord>>)spoil)(Shards(3)));
        var outDir = Path.Combine(_dir, "merged");

        var (code, output, error) = await RunAsync(["merge", shards, "--out", outDir]);

        code.Should().Be(ChaosCli.BadInput, $"output: {output} error: {error}");
        error.Should().StartWith("chaos: merge: ").And.Contain(says);
        error.Trim().Split('\n').Should().HaveCount(1, "one line, no stack trace");
        File.Exists(Path.Combine(outDir, "matrix.json")).Should().BeFalse("nothing is written for shards that are not one run");
    }

    private static readonly DateTimeOffset Start = new(2026, 11, 22, 2, 30, 0, TimeSpan.Zero);

    /// <summary>The six cells split as `chaos matrix --shard I/N` would split them, each shard as its own run on its own runner.</summary>
    private static List<MatrixRecord> Shards(int count)
    {
        var profiles = ProfileCatalog.Select(Profiles);
        return [.. Enumerable.Range(1, count).Select(i =>
        {
            var shard = new Shard(i, count);
            var cells = ShardPlan.CellsOf(Faults, profiles, shard);
            return new MatrixRecord
            {
                StartedAt = Start.AddMinutes(i - 1),
                DurationMs = 60_000,
                Environment = new Dictionary<string, string>
                {
                    ["npgsql"] = "10.0.0",
                    ["postgres"] = "15.18",
                    ["proxy"] = "embedded",
                    ["server"] = "managed",
                    ["machine"] = $"runner {i}",
                    ["harness"] = "1.0.0+d96a2497f544e8b558ea8a99d791f404e434551d",
                    ["commit"] = "d96a2497f544e8b558ea8a99d791f404e434551d",
                },
                Selection = new MatrixSelection { Faults = Faults, Profiles = Profiles, Shard = count == 1 ? null : shard },
                Cells = [.. from f in Faults from p in Profiles where cells.Contains((f, p)) select Cell(f, p)],
            };
        })];
    }

    private static CellRecord Cell(string fault, string profile) => new()
    {
        Fault = fault,
        Profile = profile,
        Verdict = fault == "idle-backends-killed" && profile != "retry" ? Verdict.Recovered : Verdict.Survived,
        Reason = "as measured",
        DurationMs = 8000,
    };

    private static List<MatrixRecord> With(List<MatrixRecord> shards, int index, Func<MatrixRecord, MatrixRecord> change) =>
        [.. shards.Select((m, i) => i == index ? change(m) : m)];

    private static List<MatrixRecord> Set(List<MatrixRecord> shards, int index, string key, string value) =>
        With(shards, index, m => m with { Environment = new Dictionary<string, string>(m.Environment) { [key] = value } });

    private static List<MatrixRecord> Without(List<MatrixRecord> shards, int index, string key) =>
        With(shards, index, m => m with { Environment = m.Environment.Where(kv => kv.Key != key).ToDictionary() });

    /// <summary>Each shard in a folder of its own, as actions/download-artifact lays them out; returns the folder above.</summary>
    private async Task<string> WriteAsync(IReadOnlyList<MatrixRecord> shards)
    {
        var root = Path.Combine(_dir, "shards");
        for (var i = 0; i < shards.Count; i++)
        {
            var dir = Directory.CreateDirectory(Path.Combine(root, $"chaos-shard-{i + 1}")).FullName;
            await JsonReport.WriteAsync(shards[i], Path.Combine(dir, "matrix.json"), CancellationToken.None);
        }
        return root;
    }

    private static Task<(int Code, string Output, string Error)> RunAsync(string[] args) =>
        CliRun.RunAsync(args, TimeSpan.FromMinutes(1));
}
