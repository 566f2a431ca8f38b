using System.Collections.Concurrent;
using System.Diagnostics;

namespace Chaos.Harness.History;

/// <summary>
/// Collects a cell's history while it runs, from many threads: operations are invoked here and completed
/// here exactly once, the scenario opens and closes fault windows, anyone may add to the timeline.
/// <see cref="Take"/> hands the checkers an immutable copy.
/// </summary>
internal sealed class HistoryRecorder
{
    private readonly long _start = Stopwatch.GetTimestamp();
    private readonly ConcurrentDictionary<long, Op> _completed = new();
    private readonly ConcurrentDictionary<long, Invoked> _pending = new();
    private readonly ConcurrentQueue<TimelineEvent> _timeline = new();
    private readonly List<FaultWindow> _windows = [];
    private readonly ConcurrentQueue<ConnectionSample> _samples = new();
    private double? _stopAtMs;
    private long _nextId;

    private sealed record Invoked(long Id, OpKind Kind, int Worker, int Instance, double InvokedMs, Guid? WriteId);

    /// <summary>Milliseconds since the recorder was made.</summary>
    public double NowMs => Stopwatch.GetElapsedTime(_start).TotalMilliseconds;

    /// <summary>Records an operation as invoked; complete it with <see cref="Complete"/>.</summary>
    public long Invoke(OpKind kind, int worker, int instance, Guid? writeId = null)
    {
        var id = Interlocked.Increment(ref _nextId);
        _pending[id] = new Invoked(id, kind, worker, instance, NowMs, writeId);
        return id;
    }

    /// <summary>Records the outcome of <paramref name="id"/> unless one was recorded already (a hung op that ends later stays hung).</summary>
    public bool Complete(long id, Outcome outcome, int attempts = 1, string? error = null, string? sqlState = null, string? violation = null)
    {
        if (!_pending.TryRemove(id, out var op))
        {
            return false;
        }
        _completed[id] = new Op(op.Id, op.Kind, op.Worker, op.Instance, op.InvokedMs, NowMs, outcome, op.WriteId, attempts, error, sqlState, violation);
        return true;
    }

    public void Note(string kind, string detail, string? sqlState = null) =>
        _timeline.Enqueue(new TimelineEvent(Math.Round(NowMs, 1), kind, detail, sqlState));

    /// <summary>Records how many server connections the application held just now.</summary>
    public void Sample(int serverConnections) => _samples.Enqueue(new ConnectionSample(Math.Round(NowMs, 1), serverConnections));

    /// <summary>Opens a fault window that struck at <paramref name="atMs"/> (default now).</summary>
    public void OpenWindow(string detail, double? atMs = null)
    {
        var at = atMs ?? NowMs;
        lock (_windows)
        {
            _windows.Add(new FaultWindow(at, null, detail));
        }
        _timeline.Enqueue(new TimelineEvent(Math.Round(at, 1), TimelineKinds.Fault, detail));
    }

    /// <summary>Closes the open window, if there is one.</summary>
    public void CloseWindow(string detail)
    {
        var now = NowMs;
        lock (_windows)
        {
            var open = _windows.FindLastIndex(w => w.HealAtMs is null);
            if (open < 0)
            {
                return;
            }
            _windows[open] = _windows[open] with { HealAtMs = now };
        }
        _timeline.Enqueue(new TimelineEvent(Math.Round(now, 1), TimelineKinds.Heal, detail));
    }

    public bool HasOpenWindow
    {
        get
        {
            lock (_windows)
            {
                return _windows.Any(w => w.HealAtMs is null);
            }
        }
    }

    /// <summary>Marks when the workload stopped invoking operations.</summary>
    public void MarkStop()
    {
        _stopAtMs ??= NowMs;
        Note(TimelineKinds.Phase, "workload stopped");
    }

    /// <summary>
    /// The history so far. Operations still pending are in it as <see cref="Outcome.Hung"/>: whatever they
    /// become later, the application had no answer when the harness stopped waiting.
    /// </summary>
    public CellHistory Take()
    {
        var now = NowMs;
        var ops = _completed.Values
            .Concat(_pending.Values.Select(p => new Op(p.Id, p.Kind, p.Worker, p.Instance, p.InvokedMs, now, Outcome.Hung, p.WriteId, Error: "no answer when the history was taken")))
            .OrderBy(o => o.Id)
            .ToList();
        List<FaultWindow> windows;
        lock (_windows)
        {
            windows = [.. _windows];
        }
        return new CellHistory(ops, windows, _stopAtMs, Math.Round(now), [.. _timeline.OrderBy(e => e.AtMs)]) { Samples = [.. _samples] };
    }
}
