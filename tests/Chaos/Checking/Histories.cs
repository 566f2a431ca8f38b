using Chaos.Harness.Checking;
using Chaos.Harness.History;

namespace Chaos.Tests.Checking;

/// <summary>
/// Hand-built histories for the checkers: a steady workload from 0 to 10 s, a fault window from 3 s to
/// 4 s, the workload stopping at 10 s. Each call adds one operation.
/// </summary>
internal sealed class Histories
{
    private readonly List<Op> _ops = [];
    private readonly List<(Guid Id, int Part, int Count)> _rows = [];
    private long _id;

    public const double FaultAt = 3000, HealAt = 4000, StopAt = 10_000;

    /// <summary>A healthy background: a read every 100 ms over the whole run.</summary>
    public static Histories Steady()
    {
        var h = new Histories();
        for (var at = 0.0; at < StopAt; at += 100)
        {
            h.Read(at);
        }
        return h;
    }

    public Histories Read(double at, Outcome outcome = Outcome.Ok, string? error = null, string? sqlState = null, string? violation = null)
    {
        _ops.Add(new Op(++_id, OpKind.Read, 0, 0, at, at + 2, outcome, Error: error ?? (outcome == Outcome.Ok ? null : "NpgsqlException"), SqlState: sqlState, Violation: violation));
        return this;
    }

    /// <summary>A write the application saw end as <paramref name="outcome"/>; <paramref name="rows"/> of each part are in the final read.</summary>
    public Histories Write(double at, Outcome outcome, int firstPart, int secondPart)
    {
        var id = Guid.NewGuid();
        _ops.Add(new Op(++_id, OpKind.Write, 0, 0, at, at + 5, outcome, id, Error: outcome == Outcome.Ok ? null : "NpgsqlException"));
        if (firstPart > 0) _rows.Add((id, 1, firstPart));
        if (secondPart > 0) _rows.Add((id, 2, secondPart));
        return this;
    }

    /// <summary>A row in the final read that no operation wrote.</summary>
    public Histories Phantom()
    {
        _rows.Add((Guid.NewGuid(), 1, 1));
        return this;
    }

    public CellHistory History(bool healed = true) => new(
        [.. _ops.OrderBy(o => o.InvokedMs)],
        [new FaultWindow(FaultAt, healed ? HealAt : null, "fault")],
        StopAt,
        StopAt + 500,
        []);

    public FinalState Final(Func<FinalState, FinalState>? tweak = null)
    {
        var final = new FinalState { Rows = [.. _rows.Select(r => new WriteRows(r.Id, r.Part, r.Count))] };
        return tweak is null ? final : tweak(final);
    }

    public Judgement Judge(Func<FinalState, FinalState>? tweak = null) => Harness.Checking.Judge.Cell(History(), Final(tweak));
}
