using Chaos.Harness.Checking;

namespace Chaos.Harness.Reports;

/// <summary>A cell whose verdict differs between the baseline and the current run.</summary>
internal sealed record VerdictChange(string Fault, string Profile, Verdict Old, Verdict New)
{
    public override string ToString() => $"{Fault} / {Profile}: {Old.ToWire()} -> {New.ToWire()}";
}

/// <summary>What changed between a baseline matrix and the current one.</summary>
/// <param name="Changed">Cells present in both whose verdict differs.</param>
/// <param name="Added">Cells only the current run has (a new fault or profile).</param>
/// <param name="Missing">Cells only the baseline has (a removed fault, or a run restricted with --faults/--profiles).</param>
internal sealed record BaselineDiff(
    IReadOnlyList<VerdictChange> Changed,
    IReadOnlyList<CellRecord> Added,
    IReadOnlyList<CellRecord> Missing)
{
    /// <summary>
    /// True when a verdict changed: what the nightly run fails on. New and missing cells are reported
    /// but do not count, because a run restricted to some faults would otherwise always fail.
    /// </summary>
    public bool HasChanges => Changed.Count > 0;

    /// <summary>True when the two matrices hold the same cells with the same verdicts.</summary>
    public bool IsIdentical => Changed.Count == 0 && Added.Count == 0 && Missing.Count == 0;

    /// <summary>The change for one cell, when its verdict changed.</summary>
    public VerdictChange? Find(string fault, string profile) =>
        Changed.FirstOrDefault(c => c.Fault == fault && c.Profile == profile);

    /// <summary>One line per difference, for the console and logs: "changed idle-kill / default: recovered -> failed".</summary>
    public IEnumerable<string> Describe()
    {
        foreach (var c in Changed)
            yield return $"changed {c}";
        foreach (var c in Added)
            yield return $"new     {c.Fault} / {c.Profile}: {c.Verdict.ToWire()}";
        foreach (var c in Missing)
            yield return $"missing {c.Fault} / {c.Profile}: was {c.Verdict.ToWire()}";
    }
}

internal static class Baseline
{
    /// <summary>Compares the current run with a previous one (usually read with <see cref="JsonReport.ReadAsync"/>), cell by cell.</summary>
    public static BaselineDiff Compare(MatrixRecord previous, MatrixRecord current)
    {
        ArgumentNullException.ThrowIfNull(previous);
        ArgumentNullException.ThrowIfNull(current);

        var before = Index(previous);
        var after = Index(current);

        var changed = new List<VerdictChange>();
        var added = new List<CellRecord>();
        foreach (var (key, cell) in after)
        {
            if (!before.TryGetValue(key, out var old))
                added.Add(cell);
            // A cell whose expectation accepts both verdicts varied as expected: not a change to fail on.
            else if (old.Verdict != cell.Verdict && !cell.AcceptsBoth(old.Verdict))
                changed.Add(new VerdictChange(cell.Fault, cell.Profile, old.Verdict, cell.Verdict));
        }
        var missing = before.Where(kv => !after.ContainsKey(kv.Key)).Select(kv => kv.Value).ToList();
        return new BaselineDiff(changed, added, missing);
    }

    // Ordered so the diff lists cells in the run's own order; the first of a duplicated cell wins, as in the reports.
    private static OrderedDictionary<(string, string), CellRecord> Index(MatrixRecord result)
    {
        var index = new OrderedDictionary<(string, string), CellRecord>();
        foreach (var cell in result.Cells)
            index.TryAdd((cell.Fault, cell.Profile), cell);
        return index;
    }
}
