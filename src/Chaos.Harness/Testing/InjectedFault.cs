using Chaos.Harness.History;
using Chaos.Harness.Scenarios;

namespace Chaos.Harness.Testing;

/// <summary>
/// A fault as it struck (<see cref="ChaosDatabase.InjectAsync"/>): what it did, when, and its heal. Faults
/// with nothing to undo (a kill, a restart that is over) are healed as soon as they struck; a mid-transaction
/// reset heals itself once the struck transaction is over; the rest last until <see cref="HealAsync"/>
/// (or the database's dispose).
/// </summary>
public sealed class InjectedFault
{
    /// <summary>How long a fault that heals itself may take before it is healed anyway, so no heal waits forever.</summary>
    public static readonly TimeSpan SelfHealLimit = TimeSpan.FromSeconds(30);

    private readonly Injection _injection;
    private readonly HistoryRecorder _history;
    private readonly TaskCompletionSource _healed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _healing = new(1, 1);
    private readonly CancellationTokenSource _stopWatching = new();

    internal InjectedFault(string name, Injection injection, TimeSpan struckAt, HistoryRecorder history)
    {
        Name = name;
        _injection = injection;
        _history = history;
        StruckAt = struckAt;
        if (injection.Heal is null)
        {
            Close();
        }
        else if (injection.HealsWhen is { } healsWhen)
        {
            _ = HealWhenAsync(healsWhen);
        }
    }

    /// <summary>The fault's name, as on <see cref="Fault.Name"/>.</summary>
    public string Name { get; }

    /// <summary>What it struck, in words (how many backends it terminated, which transaction it cut).</summary>
    public string Detail => _injection.Detail;

    /// <summary>Set when it struck nothing it should have (no backend carried the application name, say); null otherwise.</summary>
    public string? Missed => _injection.Missed;

    /// <summary>When it struck, since the database started (the clock of <see cref="ChaosDatabase.Timeline"/>).</summary>
    public TimeSpan StruckAt { get; }

    /// <summary>Completes when the fault is healed; faults with nothing to undo are healed already. Bound your wait on it (<c>WaitAsync</c>).</summary>
    public Task Healed => _healed.Task;

    /// <summary>True once <see cref="Healed"/> has completed.</summary>
    public bool IsHealed => _healed.Task.IsCompleted;

    /// <summary>Undoes the fault now (removes its toxics, thaws what it froze); a healed fault does nothing.</summary>
    /// <param name="ct">Cancels the heal; the fault then stays in effect.</param>
    public async Task HealAsync(CancellationToken ct = default)
    {
        await _healing.WaitAsync(ct);
        try
        {
            if (IsHealed) return;
            await _stopWatching.CancelAsync();
            if (_injection.Heal is { } heal) await heal(ct);
            Close();
        }
        finally { _healing.Release(); }
    }

    private void Close()
    {
        _history.CloseWindow($"{Name}: {_injection.HealDetail}");
        _healed.TrySetResult();
    }

    private async Task HealWhenAsync(Func<CancellationToken, Task> healsWhen)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(_stopWatching.Token);
        bound.CancelAfter(SelfHealLimit);
        try
        {
            await healsWhen(bound.Token);
        }
        catch (OperationCanceledException) when (_stopWatching.IsCancellationRequested)
        {
            return; // healed by hand meanwhile
        }
        catch (Exception e)
        {
            _history.Note(TimelineKinds.Note, $"{Name}: healing now, without waiting for its end ({e.GetType().Name}: {e.Message})");
        }
        try
        {
            await HealAsync(CancellationToken.None);
        }
        catch (Exception e)
        {
            _history.Note(TimelineKinds.Note, $"{Name}: the heal failed ({e.GetType().Name}: {e.Message})");
            _healed.TrySetException(e);
        }
    }
}
