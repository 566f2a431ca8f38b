using Chaos.Harness.History;

namespace Chaos.Harness.Checking;

/// <summary>A request without an answer after <see cref="Timing.HangAfter"/>, or a cell that outlived its watchdog, is hung.</summary>
internal sealed class HangChecker : IChecker
{
    public Finding? Check(CellHistory history, FinalState final)
    {
        if (final.WatchdogFired)
        {
            return Finding.Of(Verdict.Hung, $"the cell outlived its {Timing.CellWatchdog.TotalSeconds:0} s watchdog");
        }
        var hung = history.Ops.Count(o => o.Outcome == Outcome.Hung);
        return hung == 0
            ? null
            : Finding.Of(Verdict.Hung, $"{hung} request(s) still waiting after {Timing.HangAfter.TotalSeconds:0} s; {ErrorChecker.Errors(history.Ops)}");
    }
}
