using Chaos.Harness.Checking;
using Chaos.Harness.Expectations;
using Chaos.Harness.History;
using Chaos.Harness.Reports;

namespace Chaos.Harness.Matrix;

/// <summary>One cell as the matrix runner saw it: the checkers' judgement, its expectation, and what it ran against.</summary>
internal sealed record CellResult
{
    public required string Fault { get; init; }
    public required string Profile { get; init; }
    public required Judgement Judgement { get; init; }

    /// <summary>The verdict the suite expects here; null for a cell without one (a profile of the user's own, an environment that lacks what the reference had).</summary>
    public Expectation? Expected { get; init; }

    public double DurationMs { get; init; }

    /// <summary>What happened; empty for a cell that did not run.</summary>
    public IReadOnlyList<TimelineEvent> Timeline { get; init; } = [];

    /// <summary>The fault windows, when and for how long the fault was on.</summary>
    public IReadOnlyList<FaultWindow> Windows { get; init; } = [];

    /// <summary>Where the cell's time went.</summary>
    public CellPhases Phases { get; init; } = CellPhases.None;

    /// <summary>The cell over time, for charts.</summary>
    public CellSeries Series { get; init; } = CellSeries.Empty;

    /// <summary>Versions of the parts the cell ran against, e.g. "postgres" -> "15.18", "pgbouncer" -> "1.18.0".</summary>
    public IReadOnlyDictionary<string, string> Versions { get; init; } = new Dictionary<string, string>();

    public Verdict Verdict => Judgement.Verdict;

    public bool IsRegression => Expected is { } e && !e.Accepts(Verdict);

    /// <summary>The cell as matrix.json holds it.</summary>
    public CellRecord ToRecord() => new()
    {
        Fault = Fault,
        Profile = Profile,
        Verdict = Judgement.Verdict,
        Errors = Judgement.Errors,
        Unknown = Judgement.Unknown,
        RecoveryMs = Judgement.RecoveryMs,
        P50Ms = Judgement.P50Ms,
        P99Ms = Judgement.P99Ms,
        PeakServerConnections = Judgement.PeakServerConnections,
        Reason = Judgement.Reason,
        Requests = Judgement.Requests,
        Lost = Judgement.Lost,
        Duplicated = Judgement.Duplicated,
        StaleReads = Judgement.StaleReads,
        ErrorsByCause = Judgement.ErrorsByCause,
        FirstWriteMs = Judgement.FirstWriteMs,
        Expected = Expected?.Verdict,
        ExpectedOr = Expected?.Or,
        ExpectedReason = Expected?.Reason,
        DurationMs = DurationMs,
        Timeline = Timeline,
        Windows = Windows,
        Series = Series,
        Phases = Phases,
    };
}
