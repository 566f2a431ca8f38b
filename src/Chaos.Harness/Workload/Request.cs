using Chaos.Harness.History;

namespace Chaos.Harness.Workload;

/// <summary>How far an attempt got, so an error can be classified honestly.</summary>
internal enum Stage
{
    Connecting,
    Working,
    Committing,
}

/// <summary>
/// One request while it is in flight. The workload makes it; the driver alone writes it as the attempt
/// goes (stage, transaction id, backend), so that a policy can classify a failure and resolve an
/// unknown COMMIT; the workload reads it once the request has ended to record the operation.
/// </summary>
internal sealed class Request
{
    private readonly TaskCompletionSource _attemptFailed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public required long Id { get; init; }
    public required OpKind Kind { get; init; }
    public required int Worker { get; init; }
    public int Instance { get; init; }

    /// <summary>For writes: the id both rows carry.</summary>
    public Guid? WriteId { get; init; }

    /// <summary>For session-state requests: the tenant whose schema and lock the request uses.</summary>
    public int Tenant { get; init; }

    public Stage Stage { get; internal set; }

    /// <summary>The transaction id of the current attempt, read inside the transaction.</summary>
    public long? Txid { get; internal set; }

    /// <summary>The backend serving the current attempt (pg_backend_pid(): through PgBouncer too).</summary>
    public int? BackendPid { get; internal set; }

    public int Attempts { get; private set; }

    /// <summary>The application got back data that was not its own.</summary>
    public string? Violation { get; internal set; }

    /// <summary>Completes when an attempt of this request fails (a retry may follow).</summary>
    public Task AttemptFailed => _attemptFailed.Task;

    /// <summary>Completes when the request has ended, however it ended.</summary>
    public Task Ended => _ended.Task;

    internal void End() => _ended.TrySetResult();

    internal void BeginAttempt()
    {
        Attempts++;
        Stage = Stage.Connecting;
        Txid = null;
    }

    internal void FailAttempt() => _attemptFailed.TrySetResult();
}
