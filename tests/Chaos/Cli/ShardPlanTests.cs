using Chaos.Cli;
using Chaos.Harness.Checking;
using Chaos.Harness.Faults;
using Chaos.Harness.Matrix;
using Chaos.Harness.Profiles;
using Chaos.Harness.Reports;
using Chaos.Tests.Support;
using FluentAssertions;
using NUnit.Framework;

namespace Chaos.Tests.Cli;

/// <summary>How `chaos matrix --shard I/N` splits the cells: disjoint, complete, deterministic and balanced.</summary>
public class ShardPlanTests
{
    private static readonly IReadOnlyList<string> AllFaults = FaultCatalog.Names;
    private static readonly IReadOnlyList<Profile> AllProfiles = ProfileCatalog.All;

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    [TestCase(4)]
    [TestCase(7)]
    public void The_shards_together_hold_every_cell_exactly_once(int count)
    {
        var shards = Enumerable.Range(1, count).Select(i => ShardPlan.CellsOf(AllFaults, AllProfiles, new Shard(i, count))).ToList();

        var all = shards.SelectMany(s => s).ToList();
        all.Should().HaveCount(AllFaults.Count * AllProfiles.Count).And.OnlyHaveUniqueItems();
        all.Should().BeEquivalentTo(from f in AllFaults from p in AllProfiles select (f, p.Name));
    }

    [Test]
    public void The_plan_does_not_depend_on_the_order_the_names_were_typed_in()
    {
        var faults = new[] { "latency-spike", "idle-backends-killed", "black-hole" };
        var profiles = ProfileCatalog.Select(["retry", "npgsql-defaults", "validate-on-checkout", "bounded"]);

        for (var i = 1; i <= 3; i++)
        {
            ShardPlan.CellsOf(faults, profiles, new Shard(i, 3))
                .Should().BeEquivalentTo(ShardPlan.CellsOf([.. faults.Reverse()], [.. profiles.AsEnumerable().Reverse()], new Shard(i, 3)));
        }
    }

    [Test]
    public void More_shards_than_cells_leave_some_shards_empty_but_lose_nothing()
    {
        var faults = new[] { "latency-spike" };
        var profiles = ProfileCatalog.Select(["retry", "npgsql-defaults"]);

        var shards = Enumerable.Range(1, 5).Select(i => ShardPlan.CellsOf(faults, profiles, new Shard(i, 5))).ToList();

        shards.Sum(s => s.Count).Should().Be(2);
        shards.Count(s => s.Count == 0).Should().Be(3);
    }

    [Test]
    public void Longest_cells_are_placed_first_on_the_least_loaded_shard()
    {
        PlannedCell Cell(string name, long ms) => new(name, "p", ms);

        var shards = ShardPlan.Split([Cell("a", 5), Cell("b", 4), Cell("c", 3), Cell("d", 3), Cell("e", 3)], 2);

        shards[0].Select(c => c.Fault).Should().Equal("a", "d");
        shards[1].Select(c => c.Fault).Should().Equal("b", "c", "e");
    }

    [Test]
    public async Task The_estimates_agree_with_the_committed_baseline()
    {
        var baseline = await JsonReport.ReadAsync(Repo.File("chaos-baseline/matrix.json"), CancellationToken.None);

        foreach (var fault in baseline.Cells.GroupBy(c => c.Fault))
        {
            var ran = fault.Where(c => c.Verdict != Verdict.NotApplicable).ToList();
            var mean = ran.Average(c => c.DurationMs);
            ShardPlan.EstimateMs.Should().ContainKey(fault.Key);
            ((double)ShardPlan.EstimateMs[fault.Key]).Should().BeApproximately(mean, mean * 0.10, $"{fault.Key} took {mean:0} ms a cell in the baseline");
            foreach (var cell in fault.Where(c => c.Verdict == Verdict.NotApplicable))
                ShardPlan.Estimate(FaultCatalog.Get(cell.Fault), ProfileCatalog.Select([cell.Profile])[0]).Should().Be(ShardPlan.NotApplicableMs);
        }
    }

    /// <summary>
    /// The plan's balance measured, not estimated: each shard's cells summed with the durations the baseline
    /// actually recorded for them, times the slots each took. Printed for the record (docs/nightly.md quotes it).
    /// </summary>
    [TestCase(2)]
    [TestCase(3)]
    [TestCase(4)]
    public async Task On_the_baseline_durations_the_shards_of_the_whole_matrix_take_nearly_the_same_time(int count)
    {
        var baseline = await JsonReport.ReadAsync(Repo.File("chaos-baseline/matrix.json"), CancellationToken.None);
        var measured = baseline.Cells.ToDictionary(c => (c.Fault, c.Profile), c => c.DurationMs * CellSlots.WeightOf(FaultCatalog.Get(c.Fault).PeakSessions));

        var seconds = Enumerable.Range(1, count)
            .Select(i => ShardPlan.CellsOf(AllFaults, AllProfiles, new Shard(i, count)).Sum(c => measured[c]) / 1000)
            .ToList();

        await TestContext.Out.WriteLineAsync($"N={count}: {string.Join(", ", seconds.Select(s => $"{s:0.0} s"))}; max/min {seconds.Max() / seconds.Min():0.000}, max - min {seconds.Max() - seconds.Min():0.0} s");
        (seconds.Max() / seconds.Min()).Should().BeLessThan(1.05, "greedy longest-first over 648 cells balances within 5 %");
    }
}
