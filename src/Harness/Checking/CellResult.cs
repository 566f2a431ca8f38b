using System.Text.Json.Serialization;

namespace Chaos.Harness.Checking;

/// <summary>One thing that happened during a scenario, for the timeline a report shows.</summary>
/// <param name="AtMs">Milliseconds since the scenario started.</param>
/// <param name="Kind">One of: phase, fault, heal, opened, broken, error, unknown, pool-cleared, recovered, note.</param>
/// <param name="Detail">Human-readable text.</param>
/// <param name="SqlState">The SQLSTATE of an error, when it had one.</param>
public sealed record TimelineEvent(double AtMs, string Kind, string Detail, string? SqlState = null);

/// <summary>The verdict of one cell with the figures behind it. Serialised as one entry of matrix.json's "cells".</summary>
public sealed record CellResult
{
    public required string Fault { get; init; }
    public required string Profile { get; init; }
    public required Verdict Verdict { get; init; }

    /// <summary>Errors that reached the application (failed operations).</summary>
    public int Errors { get; init; }

    /// <summary>Operations whose outcome the application could not know (an error during COMMIT).</summary>
    public int Unknown { get; init; }

    /// <summary>From the fault's heal to the first of an unbroken run of successes; null when nothing failed or it never recovered.</summary>
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

    /// <summary>The verdict the suite expects for this cell, when it has an expectation.</summary>
    public Verdict? Expected { get; init; }

    /// <summary>Why the expected verdict is expected.</summary>
    public string? ExpectedReason { get; init; }

    public double DurationMs { get; init; }
    public int Seed { get; init; }
    public IReadOnlyList<TimelineEvent> Timeline { get; init; } = [];

    /// <summary>True when an expectation exists and the verdict differs from it.</summary>
    /// <remarks>Derived, so not stored in matrix.json: a reader recomputes it from verdict and expected.</remarks>
    [JsonIgnore]
    public bool IsRegression => Expected is { } e && e != Verdict;
}
