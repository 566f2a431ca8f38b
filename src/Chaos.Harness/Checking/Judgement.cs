namespace Chaos.Harness.Checking;

/// <summary>What the checkers concluded about one cell, with the figures behind it.</summary>
internal sealed record Judgement
{
    public required Verdict Verdict { get; init; }

    /// <summary>One line: why this verdict.</summary>
    public required string Reason { get; init; }

    /// <summary>Operations the workload invoked.</summary>
    public int Requests { get; init; }

    /// <summary>Operations that failed with an error the application saw.</summary>
    public int Errors { get; init; }

    /// <summary>Operations whose outcome the application could not know (an error during COMMIT).</summary>
    public int Unknown { get; init; }

    /// <summary>Acknowledged writes missing from the database.</summary>
    public int Lost { get; init; }

    /// <summary>Writes applied more than once.</summary>
    public int Duplicated { get; init; }

    /// <summary>Reads right after a request's own acknowledged write that did not see it.</summary>
    public int StaleReads { get; init; }

    /// <summary>Errors and unknown outcomes by SQLSTATE (or, without one, by the exception the driver threw): what the application saw.</summary>
    public IReadOnlyDictionary<string, int> ErrorsByCause { get; init; } = new Dictionary<string, int>();

    /// <summary>From the first fault to the first acknowledged write invoked after it: how long writes were out, as the application saw it.</summary>
    public double? FirstWriteMs { get; init; }

    /// <summary>From the last heal to the first of an unbroken run of successes; null when nothing failed or it never recovered.</summary>
    public double? RecoveryMs { get; init; }

    public double? P50Ms { get; init; }
    public double? P99Ms { get; init; }
    public int PeakServerConnections { get; init; }

    /// <summary>A judgement without a run: the cell was not applicable, or the harness failed before it could judge.</summary>
    public static Judgement Without(Verdict verdict, string reason) => new() { Verdict = verdict, Reason = reason };
}
