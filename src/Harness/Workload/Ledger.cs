using System.Collections.Concurrent;
using System.Diagnostics;
using Chaos.Harness.Checking;

namespace Chaos.Harness.Workload;

/// <summary>
/// The history of one scenario: every operation invoked and how it ended, plus the timeline of what the
/// harness did (phases, fault, heal). The checker judges the cell from this and a final read.
/// </summary>
public sealed class Ledger(TimeProvider time)
{
    private readonly long _start = time.GetTimestamp();
    private readonly ConcurrentQueue<OpRecord> _ops = new();
    private readonly ConcurrentQueue<TimelineEvent> _timeline = new();
    private long _nextId;

    public Ledger() : this(TimeProvider.System) { }

    public double NowMs => time.GetElapsedTime(_start).TotalMilliseconds;

    public IReadOnlyList<OpRecord> Operations => [.. _ops.OrderBy(o => o.Id)];

    public IReadOnlyList<TimelineEvent> Timeline => [.. _timeline.OrderBy(e => e.AtMs)];

    /// <summary>When the fault was injected; null before.</summary>
    public double? FaultAtMs { get; private set; }

    /// <summary>When the fault was healed (for an instant fault: when traffic resumed after it).</summary>
    public double? HealAtMs { get; private set; }

    /// <summary>When the workload stopped invoking new operations.</summary>
    public double? StopAtMs { get; private set; }

    internal OpRecord Invoke(OpKind kind, int worker, int instance, Guid? writeId = null)
    {
        var op = new OpRecord
        {
            Id = Interlocked.Increment(ref _nextId),
            Kind = kind,
            Worker = worker,
            Instance = instance,
            InvokedMs = NowMs,
            WriteId = writeId,
        };
        _ops.Enqueue(op);
        return op;
    }

    public void Note(string kind, string detail, string? sqlState = null) =>
        _timeline.Enqueue(new TimelineEvent(Math.Round(NowMs, 1), kind, detail, sqlState));

    public void MarkFault(string detail)
    {
        FaultAtMs ??= NowMs;
        Note("fault", detail);
    }

    public void MarkHeal(string detail)
    {
        HealAtMs ??= NowMs;
        Note("heal", detail);
    }

    internal void MarkStop()
    {
        StopAtMs ??= NowMs;
        Note("phase", "workload stopped");
    }

    [Conditional("DEBUG")]
    internal void Trace(string detail) => Note("note", detail);
}
