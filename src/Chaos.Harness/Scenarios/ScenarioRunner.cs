using System.Collections.Concurrent;
using Chaos.Harness.History;
using Chaos.Harness.Workload;

namespace Chaos.Harness.Scenarios;

/// <summary>
/// Runs a scenario's steps against a running workload and writes the fault windows into the history.
/// Every injection is remembered until healed, so <see cref="HealAllAsync"/> can undo whatever a failed
/// or cancelled scenario left behind. What a nemesis missed is kept in <see cref="Problems"/>.
/// </summary>
internal sealed class ScenarioRunner
{
    private readonly FaultTarget _target;
    private readonly WorkloadRunner _workload;
    private readonly HistoryRecorder _history;
    // Written from a hook (the struck request's thread) as well as the scenario's.
    private readonly ConcurrentStack<Injection> _unhealed = new();
    private readonly ConcurrentQueue<string> _problems = new();
    private StrikePoint? _victim;

    internal ScenarioRunner(FaultTarget target, WorkloadRunner workload, HistoryRecorder history)
    {
        _target = target;
        _workload = workload;
        _history = history;
    }

    /// <summary>What kept the scenario from doing its part: a nemesis that struck nothing, a hook no transaction reached.</summary>
    public IReadOnlyList<string> Problems => [.. _problems];

    public async Task RunAsync(Scenario scenario, CancellationToken ct)
    {
        foreach (var step in scenario.Steps)
        {
            switch (step)
            {
                case Pause:
                    await _workload.PauseAsync(ct);
                    break;
                case Resume:
                    _workload.Resume();
                    break;
                case Hold hold:
                    await Task.Delay(hold.For, ct);
                    break;
                case Inject inject:
                    await InjectAsync(inject.Nemesis, _target, ct);
                    break;
                case InjectAtHook hook:
                    if (!await InjectAtHookAsync(hook, ct))
                    {
                        return; // nothing was struck: the rest of the scenario would judge nothing
                    }
                    break;
                case AwaitStruckFailure:
                    await AwaitStruckFailureAsync(ct);
                    break;
                case Heal:
                    await HealNewestAsync(ct);
                    break;
                case Burst burst:
                    await _workload.BurstAsync(burst.Kind, burst.Count);
                    break;
                default:
                    throw new InvalidOperationException($"the scenario runner has no case for {step.GetType().Name}");
            }
        }
        if (_history.HasOpenWindow)
        {
            _history.CloseWindow("fault window over");
        }
    }

    /// <summary>Heals every injection still in place, newest first, whatever happened; failures are noted, not thrown.</summary>
    public async Task HealAllAsync(CancellationToken ct)
    {
        while (_unhealed.TryPop(out var injection))
        {
            try
            {
                if (injection.Heal is { } heal)
                {
                    await heal(ct);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                _history.Note(TimelineKinds.Note, $"final heal failed: {e.GetType().Name}: {e.Message}");
            }
        }
        _workload.Resume();
    }

    private async Task InjectAsync(INemesis nemesis, FaultTarget target, CancellationToken ct)
    {
        var at = _history.NowMs;
        var injection = await nemesis.InjectAsync(target, ct);
        _unhealed.Push(injection);
        _history.OpenWindow(injection.Detail, at);
        if (injection.Missed is { } missed)
        {
            _problems.Enqueue($"the fault struck nothing: {missed}");
        }
    }

    private async Task<bool> InjectAtHookAsync(InjectAtHook step, CancellationToken ct)
    {
        var hooks = _workload.Hooks;
        var armed = hooks.ArmAsync(step.At, async (hit, token) =>
        {
            if (step.Isolate)
            {
                await _workload.IsolateAsync(token);
            }
            await InjectAsync(step.Nemesis, _target.At(hit), token);
        });
        try
        {
            _victim = await armed.WaitAsync(Timing.HangAfter, ct);
            return true;
        }
        catch (TimeoutException)
        {
            hooks.Disarm();
            _problems.Enqueue($"no write transaction reached {step.At} within {Timing.HangAfter.TotalSeconds:0} s, so nothing was struck");
            return false;
        }
    }

    private async Task AwaitStruckFailureAsync(CancellationToken ct)
    {
        if (_victim is not { } victim)
        {
            return;
        }
        var failedOrEnded = Task.WhenAny(victim.Request.AttemptFailed, victim.Request.Ended);
        try
        {
            await failedOrEnded.WaitAsync(Timing.HangAfter, ct);
        }
        catch (TimeoutException)
        {
            _history.Note(TimelineKinds.Note, $"op {victim.RequestId} neither failed nor ended within {Timing.HangAfter.TotalSeconds:0} s of the strike");
        }
    }

    private async Task HealNewestAsync(CancellationToken ct)
    {
        if (!_unhealed.TryPeek(out var injection))
        {
            return;
        }
        if (injection.Heal is { } heal)
        {
            await heal(ct);
        }
        _unhealed.TryPop(out _);
        _history.CloseWindow(injection.HealDetail);
    }
}
