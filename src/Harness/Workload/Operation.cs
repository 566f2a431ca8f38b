namespace Chaos.Harness.Workload;

public enum OpKind
{
    /// <summary>A one-statement read.</summary>
    Read,

    /// <summary>A transaction of two inserts under one write id: a half-applied one is detectable.</summary>
    Write,

    /// <summary>A read of a large result whose row count is known: truncation is detectable.</summary>
    LargeRead,

    /// <summary>Session state (search_path, a prepared statement, an advisory lock) used across transactions.</summary>
    SessionState,

    /// <summary>Holds a connection through a slow external call, doing nothing on the server.</summary>
    Hold,
}

/// <summary>Jepsen's three outcomes, plus the harness's own observation that a request never came back.</summary>
public enum Outcome
{
    Pending,

    /// <summary>The application saw success.</summary>
    Ok,

    /// <summary>The application saw an error, and the operation definitely did not take effect.</summary>
    Fail,

    /// <summary>An error during COMMIT: the operation may or may not have taken effect.</summary>
    Unknown,

    /// <summary>Still running <see cref="Timing.HangAfter"/> after it was invoked.</summary>
    Hung,
}

/// <summary>How far an attempt got, so an error can be classified honestly.</summary>
public enum Stage
{
    Connecting,
    Working,
    Committing,
}

/// <summary>One operation as the ledger records it: invoked, then completed exactly once.</summary>
public sealed class OpRecord
{
    private int _completed;
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public required long Id { get; init; }
    public required OpKind Kind { get; init; }
    public required int Worker { get; init; }
    public int Instance { get; init; }
    public required double InvokedMs { get; init; }

    /// <summary>For writes: the id both rows carry.</summary>
    public Guid? WriteId { get; init; }

    /// <summary>Set by the body as it goes, so a policy can classify a failure and resolve an unknown COMMIT.</summary>
    public Stage Stage { get; set; }

    /// <summary>The transaction id of the last attempt, read inside the transaction.</summary>
    public long? Txid { get; set; }

    /// <summary>The backend that served the last attempt.</summary>
    public int? BackendPid { get; set; }

    public int Attempts { get; set; }

    private int _failedAttempts;

    /// <summary>Attempts that ended in an error (a retry policy may have gone on after them).</summary>
    public int FailedAttempts => Volatile.Read(ref _failedAttempts);

    internal void AttemptFailed() => Interlocked.Increment(ref _failedAttempts);
    public Outcome Outcome { get; private set; } = Outcome.Pending;
    public double? CompletedMs { get; private set; }
    public string? Error { get; private set; }
    public string? SqlState { get; private set; }

    /// <summary>The application got back data that was not its own (a session-state mix-up, a truncated result).</summary>
    public string? IntegrityViolation { get; set; }

    /// <summary>Outcome once the harness stopped waiting; a hung write may still have taken effect.</summary>
    public bool MayHaveApplied => Outcome is Outcome.Unknown or Outcome.Hung or Outcome.Pending;

    public double? LatencyMs => CompletedMs - InvokedMs;

    /// <summary>Completes when an outcome is recorded (including hung).</summary>
    internal Task Completed => _done.Task;

    /// <summary>Records the outcome unless one was recorded already (a hung op that ends later stays hung).</summary>
    internal bool TryComplete(Outcome outcome, double atMs, string? error = null, string? sqlState = null)
    {
        if (Interlocked.Exchange(ref _completed, 1) == 1)
        {
            return false;
        }
        Outcome = outcome;
        CompletedMs = atMs;
        Error = error;
        SqlState = sqlState;
        _done.TrySetResult();
        return true;
    }
}
