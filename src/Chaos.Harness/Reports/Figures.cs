using System.Globalization;
using Chaos.Harness.Checking;

namespace Chaos.Harness.Reports;

/// <summary>Number formatting and summary counts shared by every report, so all of them print the same figures.</summary>
internal static class Figures
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static string Ms(double? ms) => ms switch
    {
        null => "—",
        >= 10_000 => (ms.Value / 1000).ToString("0.0", Invariant) + " s",
        _ => ms.Value.ToString("0.##", Invariant) + " ms",
    };

    public static string Count(int n) => n.ToString(Invariant);

    /// <summary>"recovered", or "recovered or survived" for a cell that expects either; "" without an expectation.</summary>
    public static string Expected(CellRecord cell) =>
        cell.Expected is not { } e ? "" : cell.ExpectedOr is { } or ? $"{e.ToWire()} or {or.ToWire()}" : e.ToWire();

    /// <summary>The figures of one cell as (label, value) pairs, in the order every report shows them.</summary>
    public static IReadOnlyList<(string Label, string Value)> Of(CellRecord cell) =>
    [
        ("requests", Count(cell.Requests)),
        ("errors", Count(cell.Errors)),
        ("unknown", Count(cell.Unknown)),
        ("lost", Count(cell.Lost)),
        ("duplicated", Count(cell.Duplicated)),
        ("stale reads", Count(cell.StaleReads)),
        ("first write", Ms(cell.FirstWriteMs)),
        ("recovery", Ms(cell.RecoveryMs)),
        ("p50", Ms(cell.P50Ms)),
        ("p99", Ms(cell.P99Ms)),
        ("peak server connections", Count(cell.PeakServerConnections)),
        ("duration", Ms(cell.DurationMs)),
        
    ];

    /// <summary>One line: the figures joined, for plain-text contexts (JUnit output, Markdown details).</summary>
    public static string Line(CellRecord cell) => string.Join(", ", Of(cell).Select(f => $"{f.Label} {f.Value}"));

    /// <summary>"12 cells: 4 survived, 3 recovered, 1 failed; 2 regressions" — verdicts with zero cells are left out.</summary>
    public static string Summary(MatrixRecord result, BaselineDiff? baseline)
    {
        var counts = VerdictStyle.All
            .Select(v => (Verdict: v, N: result.Cells.Count(c => c.Verdict == v)))
            .Where(x => x.N > 0)
            .Select(x => $"{x.N} {x.Verdict.ToWire()}");
        var text = $"{result.Cells.Count} {Plural(result.Cells.Count, "cell")}: {string.Join(", ", counts)}";
        var regressions = result.Cells.Count(c => c.IsRegression);
        text += $"; {regressions} {Plural(regressions, "regression")} against expectations";
        if (baseline is not null)
            text += $"; {baseline.Changed.Count} {Plural(baseline.Changed.Count, "verdict")} changed since baseline"
                    + (baseline.Added.Count > 0 ? $", {baseline.Added.Count} new" : "")
                    + (baseline.Missing.Count > 0 ? $", {baseline.Missing.Count} missing" : "");
        return text;
    }

    /// <summary>"shard 2/3 of 17 faults x 14 profiles", "3 shards of 17 faults x 14 profiles merged"; null for a run that was not split.</summary>
    public static string? Sharding(MatrixRecord result) => result.Selection switch
    {
        { Shard: { } shard } s => $"shard {shard} of {s.Describe()}",
        { MergedShards: > 0 } s => $"{s.MergedShards} {Plural(s.MergedShards, "shard")} of {s.Describe()} merged",
        _ => null,
    };

    public static string Plural(int n, string word) => n == 1 ? word : word + "s";

    public static string Timestamp(DateTimeOffset at) => at.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", Invariant);
}
