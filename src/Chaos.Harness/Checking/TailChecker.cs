using Chaos.Harness.History;

namespace Chaos.Harness.Checking;

/// <summary>
/// Healthy again means healthy at the end: every request invoked in the last <see cref="Timing.HealthyTail"/>
/// before the workload stopped (and after the last heal) must have succeeded, and there must be some.
/// </summary>
internal sealed class TailChecker : IChecker
{
    public Finding? Check(CellHistory history, FinalState final)
    {
        var stop = history.StopAtMs ?? history.EndMs;
        var from = Math.Max(stop - Timing.HealthyTail.TotalMilliseconds, history.HealAtMs ?? 0);
        var tail = history.Ops.Where(o => o.InvokedMs >= from && o.InvokedMs <= stop).ToList();
        if (tail.Count == 0)
        {
            return Finding.Of(Verdict.Failed, "no request completed after the heal");
        }
        var failed = tail.Where(o => o.Outcome != Outcome.Ok).ToList();
        return failed.Count == 0
            ? null
            : Finding.Of(Verdict.Failed,
                $"{failed.Count} of {tail.Count} requests in the last {Timing.HealthyTail.TotalSeconds:0.#} s after the heal still failed ({failed[0].Outcome}: {failed[0].Error})");
    }
}
