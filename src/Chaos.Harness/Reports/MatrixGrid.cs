using Chaos.Harness.Checking;

namespace Chaos.Harness.Reports;

/// <summary>
/// The matrix as a grid: faults as rows, profiles as columns, both in the order the run produced
/// them (the runner's order is the suite's order; sorting would scatter related faults).
/// </summary>
internal sealed class MatrixGrid
{
    private readonly Dictionary<(string Fault, string Profile), CellRecord> _cells = [];

    public MatrixGrid(MatrixRecord result)
    {
        var faults = new List<string>();
        var profiles = new List<string>();
        foreach (var cell in result.Cells)
        {
            // The first occurrence wins: a duplicated cell is a runner bug, and reports must still render.
            if (!_cells.TryAdd((cell.Fault, cell.Profile), cell))
                continue;
            if (!faults.Contains(cell.Fault, StringComparer.Ordinal))
                faults.Add(cell.Fault);
            if (!profiles.Contains(cell.Profile, StringComparer.Ordinal))
                profiles.Add(cell.Profile);
        }
        Faults = faults;
        Profiles = profiles;
    }

    public IReadOnlyList<string> Faults { get; }
    public IReadOnlyList<string> Profiles { get; }

    /// <summary>Cells in row-major order (fault by fault), skipping holes.</summary>
    public IEnumerable<CellRecord> Cells =>
        from fault in Faults
        from profile in Profiles
        let cell = Find(fault, profile)
        where cell is not null
        select cell;

    public CellRecord? Find(string fault, string profile) => _cells.GetValueOrDefault((fault, profile));
}
