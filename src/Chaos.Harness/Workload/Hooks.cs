namespace Chaos.Harness.Workload;

/// <summary>Points inside a write transaction where a fault can strike.</summary>
internal enum HookPoint
{
    /// <summary>After the first insert: a transaction is open and has written.</summary>
    AfterWrite,

    /// <summary>Both inserts done; COMMIT is about to be sent.</summary>
    BeforeCommit,
}

/// <summary>The transaction a hook caught, and the backend serving it: the victim of a fault that strikes there.</summary>
/// <param name="RequestId">The operation's id in the history.</param>
internal sealed record StrikePoint(long RequestId, int BackendPid, long? Txid, Request Request);

/// <summary>
/// One-shot interception of the next write transaction to reach a point: the fault's action runs while
/// the transaction waits, so "kill the backend of an open transaction" hits exactly one, every run.
/// </summary>
internal sealed class Hooks
{
    private sealed record Armed(HookPoint Point, Func<StrikePoint, CancellationToken, Task> Action, TaskCompletionSource<StrikePoint> Hit);

    private Armed? _armed;

    /// <summary>Arms the hook; the task completes with the transaction it caught once the action has run.</summary>
    public Task<StrikePoint> ArmAsync(HookPoint point, Func<StrikePoint, CancellationToken, Task> action)
    {
        var armed = new Armed(point, action, new TaskCompletionSource<StrikePoint>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (Interlocked.CompareExchange(ref _armed, armed, null) is not null)
        {
            throw new InvalidOperationException("a hook is already armed");
        }
        return armed.Hit.Task;
    }

    /// <summary>Disarms a hook that caught nothing (the scenario gave up waiting).</summary>
    public void Disarm() => Volatile.Write(ref _armed, null);

    /// <summary>Called by the driver's write transaction at each point; runs the armed action once.</summary>
    internal async Task ReachAsync(HookPoint point, Request request, CancellationToken ct)
    {
        var armed = Volatile.Read(ref _armed);
        if (armed is null || armed.Point != point || Interlocked.CompareExchange(ref _armed, null, armed) != armed)
        {
            return;
        }
        var hit = new StrikePoint(request.Id, request.BackendPid ?? 0, request.Txid, request);
        try
        {
            await armed.Action(hit, ct);
            armed.Hit.TrySetResult(hit);
        }
        catch (Exception e)
        {
            armed.Hit.TrySetException(e);
            throw;
        }
    }
}
