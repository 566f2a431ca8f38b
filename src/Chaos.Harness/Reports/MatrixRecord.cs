using System.Text.Json.Serialization;
using Chaos.Harness.Checking;
using Chaos.Harness.History;

namespace Chaos.Harness.Reports;

/// <summary>A whole run, as matrix.json holds it (docs/matrix-schema.md): what every report is written from.</summary>
internal sealed record MatrixRecord
{
    public required DateTimeOffset StartedAt { get; init; }
    public required double DurationMs { get; init; }

    /// <summary>True when the run was cut short (Ctrl+C, SIGTERM): <see cref="Cells"/> holds only the cells that finished.</summary>
    public bool Partial { get; init; }

    /// <summary>Versions and where the servers came from, e.g. "postgres" -> "15.18", "npgsql" -> "10.0.0", "proxy" -> "embedded".</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>The faults and profiles the run was asked for, and its shard; null in records written before it was kept.</summary>
    public MatrixSelection? Selection { get; init; }

    public required IReadOnlyList<CellRecord> Cells { get; init; }
}

/// <summary>One cell of matrix.json: the verdict, the figures behind it, its expectation and its timeline.</summary>
internal sealed record CellRecord
{
    public required string Fault { get; init; }
    public required string Profile { get; init; }
    public required Verdict Verdict { get; init; }

    /// <summary>Errors that reached the application (failed operations).</summary>
    public int Errors { get; init; }

    /// <summary>Operations whose outcome the application could not know (an error during COMMIT).</summary>
    public int Unknown { get; init; }

    /// <summary>From the last heal to the first of an unbroken run of successes; null when nothing failed or it never recovered.</summary>
    public double? RecoveryMs { get; init; }

    public double? P50Ms { get; init; }
    public double? P99Ms { get; init; }
    public int PeakServerConnections { get; init; }

    /// <summary>One line: why this verdict.</summary>
    public required string Reason { get; init; }

    /// <summary>Operations the workload invoked.</summary>
    public int Requests { get; init; }

    /// <summary>Acknowledged writes missing from the database.</summary>
    public int Lost { get; init; }

    /// <summary>Writes applied more than once.</summary>
    public int Duplicated { get; init; }

    /// <summary>Reads right after a request's own acknowledged write that did not see it (read-your-writes).</summary>
    public int StaleReads { get; init; }

    /// <summary>Errors and unknown outcomes by SQLSTATE, or by exception type where there was none.</summary>
    public IReadOnlyDictionary<string, int> ErrorsByCause { get; init; } = new Dictionary<string, int>();

    /// <summary>From the first fault to the first acknowledged write invoked after it; null without a fault or such a write.</summary>
    public double? FirstWriteMs { get; init; }

    /// <summary>The verdict the suite expects for this cell, when it has an expectation.</summary>
    public Verdict? Expected { get; init; }

    /// <summary>A second verdict just as expected, for a cell whose mechanism decides only between two; null for most.</summary>
    public Verdict? ExpectedOr { get; init; }

    /// <summary>Why the expected verdict is expected.</summary>
    public string? ExpectedReason { get; init; }

    public double DurationMs { get; init; }
    public IReadOnlyList<TimelineEvent> Timeline { get; init; } = [];

    /// <summary>Where the cell's time went: setup, warm-up, scenario, after, teardown.</summary>
    public CellPhases Phases { get; init; } = CellPhases.None;

    /// <summary>Fault and heal times of every window, for charts (also on the timeline as events).</summary>
    public IReadOnlyList<FaultWindow> Windows { get; init; } = [];

    /// <summary>Requests, latency and server connections over time, in buckets.</summary>
    public CellSeries Series { get; init; } = CellSeries.Empty;

    /// <summary>True when an expectation exists and the verdict differs from it.</summary>
    /// <remarks>Derived, so not stored in matrix.json: a reader recomputes it from verdict and expected.</remarks>
    [JsonIgnore]
    public bool IsRegression => Expected is { } e && e != Verdict && ExpectedOr != Verdict;

    /// <summary>True when the cell's expectation accepts both verdicts (the current one's and <paramref name="other"/>).</summary>
    public bool AcceptsBoth(Verdict other) => Expected is { } e && (e == Verdict || ExpectedOr == Verdict) && (e == other || ExpectedOr == other);
}
