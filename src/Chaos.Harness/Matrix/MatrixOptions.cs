using Chaos.Harness.Faults;
using Chaos.Harness.Profiles;
using Chaos.Harness.Servers;

namespace Chaos.Harness.Matrix;

/// <summary>Which cells to run, against what, and how many at once.</summary>
internal sealed record MatrixOptions
{
    public IReadOnlyList<string> Faults { get; init; } = FaultCatalog.Names;
    public IReadOnlyList<Profile> Profiles { get; init; } = ProfileCatalog.All;

    /// <summary>Where servers come from; default: attached when CHAOS_PG_ADMIN is set, managed otherwise.</summary>
    public ServerBackend? Servers { get; init; }

    /// <summary>Cells run side by side; each has its own server, so this bounds servers alive at once.</summary>
    public int Parallelism { get; init; } = DefaultParallelism;

    /// <summary>
    /// Slots shared with other runs in this process, instead of <see cref="Parallelism"/> of the run's own: the
    /// test suite starts the next row while the last cells of the current one run, without running more at once.
    /// </summary>
    public CellSlots? Slots { get; init; }

    /// <summary>
    /// When set, only the cells of <see cref="Faults"/> x <see cref="Profiles"/> it accepts (fault, profile) run,
    /// in the same order: a shard of the selection (`chaos matrix --shard I/N`). Null runs them all.
    /// </summary>
    public Func<string, string, bool>? Include { get; init; }

    /// <summary>
    /// Five cells per core: on 2 cores ten at once keep the machine about 87 % busy (bench matrix, 2026-12-07: 648
    /// cells, 0 regressions), eight left it waiting on the cells' fixed windows.
    /// </summary>
    public static int DefaultParallelism => Math.Max(4, Environment.ProcessorCount * 5);
}
