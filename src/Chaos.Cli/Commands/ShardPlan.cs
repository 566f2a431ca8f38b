using Chaos.Harness;
using Chaos.Harness.Faults;
using Chaos.Harness.Matrix;
using Chaos.Harness.Profiles;
using Chaos.Harness.Reports;

namespace Chaos.Cli;

/// <summary>
/// Which cells `chaos matrix --shard I/N` runs: the selection's cells split into N disjoint shards that
/// are expected to take the same time, so parallel CI jobs finish together.
/// </summary>
/// <remarks>
/// Balancing is greedy longest-processing-time: cells sorted by expected duration, longest first (ties by
/// fault then profile name, ordinal), each given to the shard with the least expected time so far (ties
/// to the lowest shard). The plan depends only on the selection and N, never on the machine or the order
/// the names were typed in, so every CI job computes the same plan on its own.
/// </remarks>
internal static class ShardPlan
{
    /// <summary>
    /// Expected milliseconds of one cell of each fault: the mean duration of the fault's applicable cells
    /// in the committed chaos-baseline/matrix.json (2 cores, 8 cells at once), rounded to 100 ms. A test
    /// keeps this table within 10 % of the baseline; refresh it when a fault's timing changes.
    /// </summary>
    internal static readonly IReadOnlyDictionary<string, int> EstimateMs = new Dictionary<string, int>
    {
        ["idle-backends-killed"] = 11200,
        ["backend-killed-mid-transaction"] = 5900,
        ["tcp-reset-mid-transaction"] = 5800,
        ["commit-ack-lost"] = 5700,
        ["black-hole"] = 8700,
        ["server-idle-timeout"] = 10400,
        ["silent-idle-drop"] = 14700,
        ["max-connection-age"] = 8900,
        ["scale-to-zero"] = 8600,
        ["server-restart"] = 9300,
        ["server-crash"] = 8900,
        ["server-freeze"] = 11500,
        ["latency-spike"] = 8400,
        ["pool-exhaustion"] = 7900,
        ["connection-limit"] = 8800,
        ["session-state-loss"] = 8400,
        ["data-cut"] = 9400,
        ["failover-async"] = 9400,
        ["failover-sync"] = 9400,
        ["switchover"] = 10500,
        ["replica-lag"] = 9300,
        ["network-partition"] = 15600,
        ["one-way-partition"] = 14600,
        ["idle-flow-drop"] = 20500,
        ["idle-flow-reset"] = 15300,
        ["connect-timeout"] = 14900,
        ["packet-loss"] = 8900,
    };

    /// <summary>A fault the table does not know yet (added since) counts as the median fault.</summary>
    internal const int UnknownFaultMs = 9300;

    /// <summary>A cell that is not-applicable in the reference environment runs nothing: the baseline records 0 ms.</summary>
    internal const int NotApplicableMs = 0;

    /// <summary>
    /// Expected slot-milliseconds of one cell: its duration times the matrix slots it takes (a cell that
    /// opens many sessions at once keeps others from running beside it, see <see cref="CellSlots"/>).
    /// </summary>
    public static int Estimate(IFault fault, Profile profile)
    {
        var capabilities = fault.Environment(CellEnvironments.For(profile)).Capabilities(ExpectedMatrix.ReferenceServers);
        if (Capabilities.Missing(fault.Needs | profile.Needs, capabilities) is not null)
        {
            return NotApplicableMs;
        }
        return EstimateMs.GetValueOrDefault(fault.Name, UnknownFaultMs) * CellSlots.WeightOf(fault.PeakSessions);
    }

    /// <summary>The cells shard <paramref name="shard"/> runs, out of <paramref name="faults"/> x <paramref name="profiles"/>.</summary>
    public static IReadOnlySet<(string Fault, string Profile)> CellsOf(IReadOnlyList<string> faults, IReadOnlyList<Profile> profiles, Shard shard)
    {
        var cells = (from f in faults.Select(FaultCatalog.Get)
                     from p in profiles
                     select new PlannedCell(f.Name, p.Name, Estimate(f, p))).ToList();
        return Split(cells, shard.Count)[shard.Index - 1].Select(c => (c.Fault, c.Profile)).ToHashSet();
    }

    /// <summary>Splits <paramref name="cells"/> into <paramref name="count"/> shards (index 0 is shard 1/N); a shard may be empty when there are fewer cells than shards.</summary>
    public static IReadOnlyList<IReadOnlyList<PlannedCell>> Split(IReadOnlyList<PlannedCell> cells, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var shards = Enumerable.Range(0, count).Select(_ => new List<PlannedCell>()).ToList();
        var load = new long[count];
        var longestFirst = cells
            .OrderByDescending(c => c.EstimateMs)
            .ThenBy(c => c.Fault, StringComparer.Ordinal)
            .ThenBy(c => c.Profile, StringComparer.Ordinal);
        foreach (var cell in longestFirst)
        {
            var least = 0;
            for (var i = 1; i < count; i++)
            {
                if (load[i] < load[least])
                {
                    least = i;
                }
            }
            shards[least].Add(cell);
            load[least] += cell.EstimateMs;
        }
        return shards;
    }
}

/// <summary>A cell with its expected duration, as the shard plan sees it.</summary>
internal sealed record PlannedCell(string Fault, string Profile, long EstimateMs);
