using Chaos.Harness.Reports;
using Chaos.Harness;
using Chaos.Harness.Checking;
using Chaos.Harness.Expectations;
using Chaos.Harness.Network;
using Chaos.Harness.Servers;
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
        var expected = ExpectedMatrix.For(fault, profile);
        expected.Should().NotBeNull($"every built-in cell has an expectation from {fault}'s rules");

        var servers = ServerBackend.FromEnvironment();
        if (Capabilities.Missing(FaultCatalog.Get(fault).Needs, servers.Capabilities | ProxyPath.Capabilities | Capability.TransactionPooler) is { } missing)
        {
            Assert.Ignore($"{fault}: {missing}");
        }
        // The next row of the catalog starts behind this one, in the slots its last cells leave free.
        var next = FaultCatalog.Names.SkipWhile(f => f != fault).Skip(1).FirstOrDefault();
        var cell = await MatrixCells.GetAsync(fault, profile, thenFault: next);
        await TestContext.Out.WriteLineAsync($"{cell.Verdict.ToWire()}: {cell.Reason}");
        await TestContext.Out.WriteLineAsync($"errors {cell.Errors}, unknown {cell.Unknown}, lost {cell.Lost}, duplicated {cell.Duplicated}, recovery {cell.RecoveryMs} ms, p50 {cell.P50Ms} ms, p99 {cell.P99Ms} ms, peak {cell.PeakServerConnections}");
        foreach (var e in cell.Timeline.Where(e => e.Kind != "retry"))
        {
            await TestContext.Out.WriteLineAsync($"  {e.AtMs,8:0} {e.Kind,-10} {e.Detail} {e.SqlState}");
        }

        expected!.Accepts(cell.Verdict).Should().BeTrue(
            $"{fault} x {profile} is expected {Figures.Expected(cell)} because {expected.Reason}; the run said {cell.Verdict.ToWire()}: {cell.Reason}");
        AssertFiguresFit(cell);
    }

    /// <summary>The figures behind a verdict must tell the same story as the verdict.</summary>
    private static void AssertFiguresFit(CellRecord cell)
    {
        switch (cell.Verdict)
        {
            case Verdict.Survived:
                cell.Errors.Should().Be(0);
                cell.Unknown.Should().Be(0);
                // Not a throughput figure: a survived cell whose workload never ran would have a handful. Slow
                // retries keep a survived data-cut cell under 50 (47 in a CI run).
                cell.Requests.Should().BeGreaterThan(20, "the workload ran throughout");
                break;
            case Verdict.Recovered:
                (cell.Errors + cell.Unknown).Should().BeGreaterThan(0);
                cell.Lost.Should().Be(0);
                cell.Duplicated.Should().Be(0);
                break;
            case Verdict.Corrupted:
                (cell.Lost + cell.Duplicated + cell.StaleReads > 0 || cell.Reason.Contains("not theirs") || cell.Reason.Contains("half") || cell.Reason.Contains("told they failed"))
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
