using Chaos.Harness.Checking;

namespace Chaos.Harness.Matrix;

/// <summary>A whole run: what matrix.json holds.</summary>
public sealed record MatrixResult
{
    public required DateTimeOffset StartedAt { get; init; }
    public required double DurationMs { get; init; }

    /// <summary>Versions and where the servers came from, e.g. "postgres" -> "15.18", "npgsql" -> "10.0.0", "proxy" -> "embedded".</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    public required IReadOnlyList<CellResult> Cells { get; init; }
}
