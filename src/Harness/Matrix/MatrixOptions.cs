using Chaos.Harness.Faults;
using Chaos.Harness.Profiles;

namespace Chaos.Harness.Matrix;

/// <summary>Which cells to run and how many at once.</summary>
public sealed record MatrixOptions
{
    public IReadOnlyList<string> Faults { get; init; } = FaultCatalog.Names;
    public IReadOnlyList<Profile> Profiles { get; init; } = ProfileCatalog.All;

    /// <summary>Cells run side by side; each has its own cluster, so this bounds servers alive at once.</summary>
    public int Parallelism { get; init; } = DefaultParallelism;

    public static int DefaultParallelism => Math.Max(4, Environment.ProcessorCount * 4);
}
