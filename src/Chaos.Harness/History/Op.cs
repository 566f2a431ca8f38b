namespace Chaos.Harness.History;

/// <summary>One operation of the history: invoked, then completed exactly once.</summary>
/// <param name="Id">Unique in its history, in invocation order.</param>
/// <param name="InvokedMs">Milliseconds since the history began.</param>
/// <param name="CompletedMs">When the outcome was recorded; for a hung operation, when it was called hung.</param>
/// <param name="WriteId">For writes: the id both rows carry.</param>
/// <param name="Attempts">Attempts the application's policy made (1 without a retry).</param>
/// <param name="Error">A short description of the error the application saw (exception types), for a failure.</param>
/// <param name="SqlState">The SQLSTATE of that error, when it had one.</param>
/// <param name="Violation">The application got back data that was not its own (a session-state mix-up, a truncated result).</param>
internal sealed record Op(
    long Id,
    OpKind Kind,
    int Worker,
    int Instance,
    double InvokedMs,
    double CompletedMs,
    Outcome Outcome,
    Guid? WriteId = null,
    int Attempts = 1,
    string? Error = null,
    string? SqlState = null,
    string? Violation = null)
{
    public double LatencyMs => CompletedMs - InvokedMs;
}

/// <summary>How violations that the checkers count apart begin.</summary>
internal static class Violations
{
    /// <summary>A read right after the request's own acknowledged write that did not see it.</summary>
    public const string StaleRead = "read-your-writes";
}
