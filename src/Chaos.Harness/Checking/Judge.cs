using Chaos.Harness.History;

namespace Chaos.Harness.Checking;

/// <summary>
/// Combines the checkers into one verdict. The verdict is the highest in <see cref="Priority"/> that any
/// checker found; remarks are appended to its reason (not to a corrupted one: the evidence comes first).
/// A checker that throws yields <see cref="Verdict.Error"/>, never a verdict about the product.
/// </summary>
internal static class Judge
{
    /// <summary>Highest first: evidence of lost data outranks everything, the harness's own failure outranks any product verdict.</summary>
    public static IReadOnlyList<Verdict> Priority { get; } =
        [Verdict.Corrupted, Verdict.Error, Verdict.Hung, Verdict.Failed, Verdict.Recovered, Verdict.Survived];

    /// <summary>The checkers every cell is judged by.</summary>
    public static IReadOnlyList<IChecker> Checkers { get; } =
        [new IntegrityChecker(), new HarnessChecker(), new HangChecker(), new TailChecker(), new ErrorChecker(), new LeftoverChecker()];

    public static Judgement Cell(CellHistory history, FinalState final) => Cell(history, final, Checkers);

    public static Judgement Cell(CellHistory history, FinalState final, IReadOnlyList<IChecker> checkers)
    {
        var findings = new List<Finding>();
        foreach (var checker in checkers)
        {
            try
            {
                if (checker.Check(history, final) is { } finding)
                {
                    findings.Add(finding);
                }
            }
            catch (Exception e)
            {
                findings.Add(Finding.Of(Verdict.Error, $"the harness could not judge this cell: {checker.GetType().Name} failed: {e.GetType().Name}: {e.Message}"));
            }
        }

        var verdict = findings.Where(f => f.Verdict is not null).MinBy(f => Rank(f.Verdict!.Value))
            ?? Finding.Of(Verdict.Error, "the harness could not judge this cell: no checker reached a verdict");
        var reason = verdict.Text;
        if (verdict.Verdict != Verdict.Corrupted)
        {
            foreach (var remark in findings.Where(f => f.Verdict is null))
            {
                reason += "; " + remark.Text;
            }
        }

        var ops = history.Ops;
        var integrity = IntegrityChecker.Evaluate(ops, final.Rows);
        var latencies = ops.Where(o => o.Outcome == Outcome.Ok).Select(o => o.LatencyMs).Order().ToArray();
        var troubled = ops.Count(o => o.Outcome != Outcome.Ok);
        return new Judgement
        {
            Verdict = verdict.Verdict!.Value,
            Reason = reason,
            Requests = ops.Count,
            Errors = ops.Count(o => o.Outcome == Outcome.Fail),
            Unknown = ops.Count(o => o.Outcome == Outcome.Unknown),
            Lost = integrity.Lost,
            Duplicated = integrity.Duplicated,
            StaleReads = integrity.StaleReads,
            ErrorsByCause = ops.Where(o => o.Outcome is Outcome.Fail or Outcome.Unknown)
                .GroupBy(ErrorChecker.Cause)
                .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Count()),
            FirstWriteMs = FirstWrite(history),
            RecoveryMs = troubled == 0 ? null : ErrorChecker.RecoveryMs(history),
            P50Ms = Percentile(latencies, 0.50),
            P99Ms = Percentile(latencies, 0.99),
            PeakServerConnections = final.PeakServerConnections,
        };
    }

    private static double? FirstWrite(CellHistory history)
    {
        if (history.FaultAtMs is not { } fault)
        {
            return null;
        }
        var first = history.Ops
            .Where(o => o.WriteId is not null && o.Outcome == Outcome.Ok && o.InvokedMs >= fault)
            .MinBy(o => o.CompletedMs);
        return first is null ? null : Math.Round(first.CompletedMs - fault);
    }

    private static int Rank(Verdict verdict)
    {
        var rank = Priority.ToList().IndexOf(verdict);
        return rank < 0 ? int.MaxValue : rank;
    }

    private static double? Percentile(double[] sorted, double q) =>
        sorted.Length == 0 ? null : Math.Round(sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)], 2);
}
