using Chaos.Harness.Checking;

namespace Chaos.Harness.Reports;

/// <summary>An environment key whose value differs between two runs (null where a run does not record it).</summary>
internal sealed record EnvironmentDifference(string Key, string? A, string? B);

/// <summary>One cell in two runs; <see cref="A"/> or <see cref="B"/> is null where only the other run has it.</summary>
internal sealed record CellComparison(string Fault, string Profile, CellRecord? A, CellRecord? B)
{
    public bool InBoth => A is not null && B is not null;

    public bool VerdictChanged => InBoth && A!.Verdict != B!.Verdict;
}

/// <summary>
/// Two matrix files side by side, cell by cell (`chaos compare A.json B.json`): what changed between, say,
/// Npgsql 9.0.5 and 10.0.3, or PostgreSQL 15 and 16. Unlike a baseline comparison this judges nothing: a
/// comparison is information, not a regression.
/// </summary>
internal sealed record MatrixComparison(
    string NameA,
    MatrixRecord A,
    string NameB,
    MatrixRecord B,
    IReadOnlyList<EnvironmentDifference> Environment,
    IReadOnlyList<CellComparison> Cells)
{
    public IEnumerable<CellComparison> Changed => Cells.Where(c => c.VerdictChanged);
    public IEnumerable<CellComparison> OnlyInA => Cells.Where(c => c.B is null);
    public IEnumerable<CellComparison> OnlyInB => Cells.Where(c => c.A is null);

    /// <summary>Keys the version axes compare on; what <see cref="Label"/> names a run by.</summary>
    private static readonly string[] VersionKeys = ["npgsql", "postgres", "pgbouncer", "server"];

    /// <summary>Cells of both in A's order, then the cells only B has in B's order; environment keys that differ in A's order, then B's.</summary>
    public static MatrixComparison Of(string nameA, MatrixRecord a, string nameB, MatrixRecord b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var inB = b.Cells.GroupBy(c => (c.Fault, c.Profile)).ToDictionary(g => g.Key, g => g.First());
        var cells = new List<CellComparison>();
        var seen = new HashSet<(string, string)>();
        foreach (var cell in a.Cells)
            if (seen.Add((cell.Fault, cell.Profile)))
                cells.Add(new CellComparison(cell.Fault, cell.Profile, cell, inB.GetValueOrDefault((cell.Fault, cell.Profile))));
        foreach (var cell in b.Cells)
            if (seen.Add((cell.Fault, cell.Profile)))
                cells.Add(new CellComparison(cell.Fault, cell.Profile, null, cell));

        var environment = a.Environment.Keys.Concat(b.Environment.Keys).Distinct()
            .Select(k => new EnvironmentDifference(k, a.Environment.GetValueOrDefault(k), b.Environment.GetValueOrDefault(k)))
            .Where(d => d.A != d.B)
            .ToList();
        return new MatrixComparison(nameA, a, nameB, b, environment, cells);
    }

    /// <summary>What tells A from B in a heading: its differing versions ("npgsql 9.0.5"), else its name.</summary>
    public string Label(bool a)
    {
        var versions = Environment.Where(d => VersionKeys.Contains(d.Key))
            .Select(d => (d.Key, Value: a ? d.A : d.B))
            .Where(d => d.Value is not null)
            .Select(d => $"{d.Key} {d.Value}")
            .ToList();
        return versions.Count > 0 ? string.Join(", ", versions) : (a ? NameA : NameB);
    }

    /// <summary>"238 cells in both: 3 verdicts changed, 235 the same; 0 only in A, 0 only in B".</summary>
    public string Summary()
    {
        var both = Cells.Count(c => c.InBoth);
        var changed = Changed.Count();
        return $"{both} {Figures.Plural(both, "cell")} in both: {changed} {Figures.Plural(changed, "verdict")} changed, {both - changed} the same; "
               + $"{OnlyInA.Count()} only in A, {OnlyInB.Count()} only in B";
    }

    /// <summary>"recovered -> survived, errors 3 -> 0, p99 12 ms -> 15 ms": what a changed cell did in each run.</summary>
    public static string Change(CellComparison cell)
    {
        if (cell.A is not { } a || cell.B is not { } b)
            return cell.A is { } only ? $"only in A: {only.Verdict.ToWire()}" : $"only in B: {cell.B!.Verdict.ToWire()}";
        var parts = new List<string> { $"{a.Verdict.ToWire()} -> {b.Verdict.ToWire()}" };
        if (a.Errors != b.Errors)
            parts.Add($"errors {a.Errors} -> {b.Errors}");
        if (a.Verdict != Verdict.NotApplicable && b.Verdict != Verdict.NotApplicable)
            parts.Add($"p99 {Figures.Ms(a.P99Ms)} -> {Figures.Ms(b.P99Ms)}");
        return string.Join(", ", parts);
    }
}
