using Chaos.Harness.Checking;
using Chaos.Harness.Expectations;
using Chaos.Harness.Faults;
using Chaos.Harness.Matrix;
using Chaos.Harness.Profiles;
using Chaos.Harness.Reports;
using Chaos.Tests.Support;
using FluentAssertions;
using NUnit.Framework;

namespace Chaos.Tests.Matrix;

public class ExpectedMatrixTests
{
    [Test]
    public async Task The_rules_give_exactly_the_verdicts_of_the_committed_baseline()
    {
        var baseline = await JsonReport.ReadAsync(Repo.File("chaos-baseline/matrix.json"), CancellationToken.None);

        baseline.Cells.Select(c => (c.Fault, c.Profile)).Should().BeEquivalentTo(ExpectedMatrix.All.Select(e => (e.Fault, e.Profile)),
            "the baseline holds every built-in cell");
        foreach (var cell in baseline.Cells)
        {
            ExpectedMatrix.For(cell.Fault, cell.Profile)!.Accepts(cell.Verdict).Should().BeTrue(
                $"the rules beside each fault restate the asserted matrix; {cell.Fault} x {cell.Profile} was {cell.Verdict.ToWire()} in the baseline run, and a rule that disagrees changed a belief without a run to show it");
        }
    }

    [Test]
    public void Every_built_in_cell_has_one_expectation_with_a_sentence_for_a_reason()
    {
        ExpectedMatrix.All.Should().HaveCount(FaultCatalog.All.Count * ProfileCatalog.All.Count);
        ExpectedMatrix.All.Select(e => (e.Fault, e.Profile)).Should().OnlyHaveUniqueItems();
        ExpectedMatrix.All.Should().OnlyContain(e => e.Reason.Length > 20, "each expectation says why in a sentence");
    }

    [Test]
    public void A_profile_of_the_users_own_has_no_expectation()
    {
        ExpectedMatrix.For("idle-backends-killed", "mine").Should().BeNull();
    }

    [Test]
    public void Not_applicable_cells_come_from_missing_capabilities()
    {
        var direct = ExpectedMatrix.For("session-state-loss", "npgsql-defaults")!;
        var pooled = ExpectedMatrix.For("session-state-loss", "pooled-via-pgbouncer")!;

        direct.Verdict.Should().Be(Verdict.NotApplicable);
        direct.Reason.Should().Contain("PgBouncer");
        pooled.Verdict.Should().Be(Verdict.Corrupted);
    }

    [Test]
    public void Reasons_quote_the_constants_they_talk_about()
    {
        ExpectedMatrix.For("pool-exhaustion", "npgsql-defaults")!.Reason.Should().Contain("30 long sessions").And.NotContain("pool of 100");
        ExpectedMatrix.For("server-idle-timeout", "keepalive")!.Reason.Should().Contain($"{Harness.Timing.ServerIdleSessionTimeout.TotalSeconds:0} s idle timeout");
    }
}
