using Chaos.Harness.Checking;
using Chaos.Harness.Reports;
using FluentAssertions;
using NUnit.Framework;

namespace Chaos.Tests.Reports;

public class BaselineTests
{
    [Test]
    public void The_same_matrix_has_no_changes()
    {
        var diff = Baseline.Compare(SampleMatrix.Create(), SampleMatrix.Create());

        diff.IsIdentical.Should().BeTrue();
        diff.HasChanges.Should().BeFalse();
        diff.Describe().Should().BeEmpty();
    }

    [Test]
    public void A_cell_that_expects_either_of_two_verdicts_may_go_from_one_to_the_other_without_a_change()
    {
        var before = SampleMatrix.Create();
        var either = before with
        {
            Cells = [.. before.Cells.Select(c => c.Fault == "idle-kill" && c.Profile == "default" ? c with { ExpectedOr = Verdict.Survived } : c)],
        };
        var now = either.WithVerdict("idle-kill", "default", Verdict.Survived);

        var diff = Baseline.Compare(either, now);

        diff.HasChanges.Should().BeFalse("recovered and survived are both expected for that cell");
        now.Cells.Single(c => c.Fault == "idle-kill" && c.Profile == "default").IsRegression.Should().BeFalse();
        Baseline.Compare(either, now.WithVerdict("idle-kill", "default", Verdict.Failed)).HasChanges.Should().BeTrue("failed is neither");
    }

    [Test]
    public void A_changed_verdict_is_listed_with_old_and_new()
    {
        var before = SampleMatrix.Create();
        var now = before
            .WithVerdict("idle-kill", "default", Verdict.Failed)
            .WithVerdict("pgbouncer-restart", "pgbouncer-tx", Verdict.Recovered);

        var diff = Baseline.Compare(before, now);

        diff.HasChanges.Should().BeTrue();
        diff.Changed.Should().Equal(
            new VerdictChange("idle-kill", "default", Verdict.Recovered, Verdict.Failed),
            new VerdictChange("pgbouncer-restart", "pgbouncer-tx", Verdict.Survived, Verdict.Recovered));
        diff.Describe().Should().Equal(
            "changed idle-kill / default: recovered -> failed",
            "changed pgbouncer-restart / pgbouncer-tx: survived -> recovered");
    }

    [Test]
    public void New_and_missing_cells_are_listed_but_are_not_changes()
    {
        var before = SampleMatrix.Create();
        var newCell = before.Cells[0] with { Fault = "server-restart", Verdict = Verdict.Survived };
        var now = before with { Cells = [.. before.Cells.Where(c => c.Fault != "pgbouncer-restart"), newCell] };

        var diff = Baseline.Compare(before, now);

        diff.HasChanges.Should().BeFalse("a run restricted to some faults must not fail the nightly");
        diff.IsIdentical.Should().BeFalse();
        diff.Added.Select(c => (c.Fault, c.Profile)).Should().Equal(("server-restart", "default"));
        diff.Missing.Select(c => c.Profile).Should().Equal(SampleMatrix.Profiles);
        diff.Describe().Should().Contain("new     server-restart / default: survived")
            .And.Contain("missing pgbouncer-restart / default: was not-applicable");
    }

    [Test]
    public async Task A_baseline_read_from_matrix_json_compares_like_the_original()
    {
        using var dir = new TempFolder();
        var before = SampleMatrix.Create();
        await JsonReport.WriteAsync(before, dir.File("matrix.json"), CancellationToken.None);
        var baseline = await JsonReport.ReadAsync(dir.File("matrix.json"), CancellationToken.None);

        var diff = Baseline.Compare(baseline, before.WithVerdict("tcp-reset", "default", Verdict.Recovered));

        diff.Changed.Should().ContainSingle().Which.Should().Be(new VerdictChange("tcp-reset", "default", Verdict.Hung, Verdict.Recovered));
    }
}
