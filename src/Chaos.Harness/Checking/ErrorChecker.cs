using Chaos.Harness.History;

namespace Chaos.Harness.Checking;

/// <summary>Whether any error reached the application: none is <see cref="Verdict.Survived"/>, some is <see cref="Verdict.Recovered"/>.</summary>
internal sealed class ErrorChecker : IChecker
{
    public Finding? Check(CellHistory history, FinalState final)
    {
        var bad = history.Ops.Count(o => o.Outcome is Outcome.Fail or Outcome.Unknown);
        if (bad == 0)
        {
            return Finding.Of(Verdict.Survived, $"no error reached the application in {history.Ops.Count} requests");
        }
        var recovery = RecoveryMs(history);
        return Finding.Of(Verdict.Recovered, $"{Errors(history.Ops)}, then healthy" + (recovery is { } r ? $" {r:0} ms after the heal" : ""));
    }

    /// <summary>From the last heal to the first request of the final unbroken run of successes (0 when the run began before the heal).</summary>
    public static double? RecoveryMs(CellHistory history)
    {
        var byInvocation = history.Ops.OrderBy(o => o.InvokedMs).ToList();
        var lastBad = byInvocation.FindLastIndex(o => o.Outcome != Outcome.Ok);
        if (lastBad < 0 || lastBad == byInvocation.Count - 1)
        {
            return null;
        }
        var heal = history.HealAtMs ?? history.FaultAtMs ?? 0;
        return Math.Round(Math.Max(0, byInvocation[lastBad + 1].InvokedMs - heal));
    }

    /// <summary>What an error was, for counting: its SQLSTATE, or the exception the driver threw.</summary>
    public static string Cause(Op op) => op.SqlState ?? op.Error?.Split(' ')[0] ?? "unknown";

    /// <summary>"3 error(s) and 1 unknown outcome(s) (57P01, NpgsqlException/IOException)": the two most common causes.</summary>
    public static string Errors(IReadOnlyList<Op> ops)
    {
        var errors = ops.Count(o => o.Outcome == Outcome.Fail);
        var unknown = ops.Count(o => o.Outcome == Outcome.Unknown);
        var states = ops.Where(o => o.Outcome is Outcome.Fail or Outcome.Unknown)
            .Select(Cause)
            .GroupBy(s => s)
            .OrderByDescending(g => g.Count())
            .ThenBy(g => g.Key, StringComparer.Ordinal)
            .Take(2)
            .Select(g => g.Key);
        var what = string.Join(", ", states);
        return $"{errors} error(s)" + (unknown > 0 ? $" and {unknown} unknown outcome(s)" : "") + (what.Length > 0 ? $" ({what})" : "");
    }
}
