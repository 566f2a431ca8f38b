using Chaos.Harness.Checking;
using Chaos.Harness.Faults;
using Chaos.Harness.Matrix;
using Chaos.Harness.Profiles;
using FluentAssertions;
using NUnit.Framework;

namespace Chaos.Tests.Matrix;

/// <summary>
/// The asserted survival matrix: one test per cell (fault x profile), named like
/// <c>idle_backends_killed__keepalive</c> and categorised by fault, so `--filter TestCategory=black-hole`
/// runs one row. The expectation and its reason come from <see cref="Expectations"/>.
/// </summary>
[TestFixture]
[NonParallelizable]
public class SurvivalMatrixTests
{
    public static IEnumerable<TestCaseData> Cells() =>
        from fault in FaultCatalog.Names
        from profile in ProfileCatalog.All
        select new TestCaseData(fault, profile.Name)
            .SetName($"{fault.Replace('-', '_')}__{profile.Name.Replace('-', '_')}")
            .SetCategory(fault);

    [TestCaseSource(nameof(Cells))]
    public async Task Cell(string fault, string profile)
    {
        var expected = Expectations.For(fault, profile);
        expected.Should().NotBeNull($"every cell needs an expectation with a reason; add {fault} x {profile} to Expectations");

        if (FaultCatalog.Create(fault).NeedsManagedServer && Harness.Servers.PostgresCluster.IsAttachConfigured)
        {
            Assert.Ignore($"{fault} needs a managed server; CHAOS_PG_ADMIN attaches the harness to an existing one");
        }
        var cell = await MatrixCells.GetAsync(fault, profile);
        await TestContext.Out.WriteLineAsync($"{cell.Verdict.ToWire()}: {cell.Reason}");
        await TestContext.Out.WriteLineAsync($"errors {cell.Errors}, unknown {cell.Unknown}, lost {cell.Lost}, duplicated {cell.Duplicated}, recovery {cell.RecoveryMs} ms, p50 {cell.P50Ms} ms, p99 {cell.P99Ms} ms, peak {cell.PeakServerConnections}");
        foreach (var e in cell.Timeline.Where(e => e.Kind != "retry"))
        {
            await TestContext.Out.WriteLineAsync($"  {e.AtMs,8:0} {e.Kind,-10} {e.Detail} {e.SqlState}");
        }

        cell.Verdict.Should().Be(expected!.Verdict,
            $"{fault} x {profile} is expected {expected.Verdict.ToWire()} because {expected.Reason}; the run said {cell.Verdict.ToWire()}: {cell.Reason}");
        AssertFiguresFit(cell);
    }

    [Test]
    public void Every_expectation_names_a_known_fault_and_profile()
    {
        Expectations.All.Should().OnlyContain(e => FaultCatalog.Names.Contains(e.Fault) && ProfileCatalog.All.Any(p => p.Name == e.Profile));
        Expectations.All.Should().OnlyContain(e => e.Reason.Length > 20, "each expectation says why in a sentence");
    }

    /// <summary>The figures behind a verdict must tell the same story as the verdict.</summary>
    private static void AssertFiguresFit(CellResult cell)
    {
        switch (cell.Verdict)
        {
            case Verdict.Survived:
                cell.Errors.Should().Be(0);
                cell.Unknown.Should().Be(0);
                cell.Requests.Should().BeGreaterThan(50, "the workload ran throughout");
                break;
            case Verdict.Recovered:
                (cell.Errors + cell.Unknown).Should().BeGreaterThan(0);
                cell.Lost.Should().Be(0);
                cell.Duplicated.Should().Be(0);
                break;
            case Verdict.Corrupted:
                (cell.Lost + cell.Duplicated > 0 || cell.Reason.Contains("not theirs") || cell.Reason.Contains("half") || cell.Reason.Contains("told they failed"))
                    .Should().BeTrue($"a corrupted verdict names its evidence: {cell.Reason}");
                break;
            case Verdict.Hung:
                cell.Reason.Should().Contain("waiting after");
                break;
            case Verdict.NotApplicable:
                cell.Requests.Should().Be(0, "a not-applicable cell runs nothing");
                break;
        }
        if (cell.Verdict is not (Verdict.Corrupted or Verdict.NotApplicable))
        {
            cell.Lost.Should().Be(0, "no verdict but corrupted may lose an acknowledged write");
            cell.Duplicated.Should().Be(0);
        }
    }
}
