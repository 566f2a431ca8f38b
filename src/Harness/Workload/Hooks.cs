using Npgsql;

namespace Chaos.Harness.Workload;

/// <summary>Points inside a write transaction where a fault can strike.</summary>
public enum HookPoint
{
    /// <summary>After the first insert: a transaction is open and has written.</summary>
    AfterWrite,

    /// <summary>Both inserts done; COMMIT is about to be sent.</summary>
    BeforeCommit,
}

/// <summary>The operation a hook caught, and the backend serving it.</summary>
public sealed record HookHit(OpRecord Op, int BackendPid);

/// <summary>
/// One-shot interception of the next write transaction to reach a point: the fault's action runs while
/// the transaction waits, so "kill the backend of an open transaction" hits exactly one, every run.
/// </summary>
public sealed class Hooks
{
    private sealed record Armed(HookPoint Point, Func<HookHit, CancellationToken, Task> Action, TaskCompletionSource<HookHit> Hit);

    private Armed? _armed;

    /// <summary>Arms the hook; the task completes with the operation it caught once the action has run.</summary>
    public Task<HookHit> ArmAsync(HookPoint point, Func<HookHit, CancellationToken, Task> action)
    {
        var armed = new Armed(point, action, new TaskCompletionSource<HookHit>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (Interlocked.CompareExchange(ref _armed, armed, null) is not null)
        {
            throw new InvalidOperationException("a hook is already armed");
        }
        return armed.Hit.Task;
    }

    /// <summary>Called by the write transaction at each point; runs the armed action once.</summary>
    internal async Task ReachAsync(HookPoint point, OpRecord op, NpgsqlConnection connection, CancellationToken ct)
    {
        var armed = Volatile.Read(ref _armed);
        if (armed is null || armed.Point != point || Interlocked.CompareExchange(ref _armed, null, armed) != armed)
        {
            return;
        }
        var hit = new HookHit(op, op.BackendPid ?? connection.ProcessID);
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
