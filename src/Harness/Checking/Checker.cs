using Chaos.Harness.Workload;

namespace Chaos.Harness.Checking;

/// <summary>
/// Judges one cell from its history (the ledger) and the final state of the database. Integrity first:
/// an acknowledged write must be there exactly once and whole; a write the application was told failed
/// must not be there at all; an unknown one may be either, but never half or twice.
/// </summary>
public static class Checker
{
    public static CellResult Judge(string fault, string profile, Ledger ledger, FinalState final, int seed)
    {
        var ops = ledger.Operations;
        var integrity = CheckIntegrity(ops, final.Rows);
        var errors = ops.Count(o => o.Outcome == Outcome.Fail);
        var unknown = ops.Count(o => o.Outcome == Outcome.Unknown);
        var hung = ops.Count(o => o.Outcome is Outcome.Hung or Outcome.Pending);
        var latencies = ops.Where(o => o.Outcome == Outcome.Ok).Select(o => o.LatencyMs!.Value).Order().ToArray();
        var tail = TailFailures(ops, ledger);
        var recovery = RecoveryMs(ops, ledger);

        var (verdict, reason) = (integrity, final.WatchdogFired, hung, tail, errors + unknown) switch
        {
            ({ Violations: > 0 }, _, _, _, _) => (Verdict.Corrupted, integrity.Summary),
            (_, true, _, _, _) => (Verdict.Hung, $"the cell outlived its {Timing.CellWatchdog.TotalSeconds:0} s watchdog"),
            (_, _, > 0, _, _) => (Verdict.Hung, $"{hung} request(s) still waiting after {Timing.HangAfter.TotalSeconds:0} s; {Errors(errors, unknown, ops)}"),
            (_, _, _, { Failures: > 0 }, _) => (Verdict.Failed, $"{tail.Failures} of {tail.Invoked} requests in the last {Timing.HealthyTail.TotalSeconds:0.#} s after the heal still failed ({tail.FirstError})"),
            (_, _, _, { Invoked: 0 }, _) => (Verdict.Failed, "no request completed after the heal"),
            (_, _, _, _, 0) => (Verdict.Survived, $"no error reached the application in {ops.Count} requests"),
            _ => (Verdict.Recovered, $"{Errors(errors, unknown, ops)}, then healthy" + (recovery is { } r ? $" {r:0} ms after the heal" : "")),
        };
        if (verdict != Verdict.Corrupted && (final.IdleInTransaction > 0 || final.HoldingLocks > 0))
        {
            reason += $"; left {final.IdleInTransaction} session(s) idle in transaction, {final.HoldingLocks} holding locks";
        }
        if (final.LeftoverConnections > 0)
        {
            reason += $"; {final.LeftoverConnections} server connection(s) outlived the pool";
        }

        return new CellResult
        {
            Fault = fault,
            Profile = profile,
            Verdict = verdict,
            Errors = errors,
            Unknown = unknown,
            RecoveryMs = errors + unknown + hung == 0 ? null : recovery,
            P50Ms = Percentile(latencies, 0.50),
            P99Ms = Percentile(latencies, 0.99),
            PeakServerConnections = final.PeakServerConnections,
            Reason = reason,
            Requests = ops.Count,
            Lost = integrity.Lost,
            Duplicated = integrity.Duplicated,
            DurationMs = Math.Round(ledger.NowMs),
            Seed = seed,
            Timeline = ledger.Timeline,
        };
    }

    internal sealed record Integrity(int Lost, int Duplicated, int HalfApplied, int AppliedAfterFail, int Phantom, int Wrong, string? FirstWrong)
    {
        public int Violations => Lost + Duplicated + HalfApplied + AppliedAfterFail + Phantom + Wrong;

        public string Summary => string.Join(", ", new[]
        {
            Lost > 0 ? $"{Lost} acknowledged write(s) lost" : null,
            Duplicated > 0 ? $"{Duplicated} write(s) applied twice" : null,
            HalfApplied > 0 ? $"{HalfApplied} transaction(s) half-applied" : null,
            AppliedAfterFail > 0 ? $"{AppliedAfterFail} write(s) applied although the application was told they failed" : null,
            Phantom > 0 ? $"{Phantom} row(s) nobody wrote" : null,
            Wrong > 0 ? $"{Wrong} request(s) got data that was not theirs ({FirstWrong})" : null,
        }.Where(s => s is not null));
    }

    internal static Integrity CheckIntegrity(IReadOnlyList<OpRecord> ops, IReadOnlyList<WriteRows> rows)
    {
        var byWrite = rows.GroupBy(r => r.WriteId).ToDictionary(g => g.Key, g => g.ToDictionary(r => r.Part, r => r.Count));
        int lost = 0, duplicated = 0, half = 0, afterFail = 0;
        var written = new HashSet<Guid>();
        foreach (var op in ops.Where(o => o.WriteId is not null))
        {
            var id = op.WriteId!.Value;
            written.Add(id);
            var parts = byWrite.GetValueOrDefault(id) ?? [];
            var first = parts.GetValueOrDefault(1);
            var second = parts.GetValueOrDefault(2);
            if (first > 1 || second > 1)
            {
                duplicated++;
            }
            else if (first != second)
            {
                half++;
            }
            else if (op.Outcome == Outcome.Ok && first == 0)
            {
                lost++;
            }
            else if (op.Outcome == Outcome.Fail && first > 0)
            {
                afterFail++;
            }
        }
        var phantom = byWrite.Keys.Count(id => !written.Contains(id));
        var wrong = ops.Where(o => o.IntegrityViolation is not null).ToList();
        return new Integrity(lost, duplicated, half, afterFail, phantom, wrong.Count, wrong.FirstOrDefault()?.IntegrityViolation);
    }

    internal sealed record Tail(int Invoked, int Failures, string? FirstError);

    /// <summary>Requests invoked in the last <see cref="Timing.HealthyTail"/> before the workload stopped (and after the heal).</summary>
    private static Tail TailFailures(IReadOnlyList<OpRecord> ops, Ledger ledger)
    {
        var stop = ledger.StopAtMs ?? ledger.NowMs;
        var from = Math.Max(stop - Timing.HealthyTail.TotalMilliseconds, ledger.HealAtMs ?? 0);
        var tail = ops.Where(o => o.InvokedMs >= from && o.InvokedMs <= stop).ToList();
        var failed = tail.Where(o => o.Outcome is not Outcome.Ok).ToList();
        return new Tail(tail.Count, failed.Count, failed.FirstOrDefault() is { } f ? $"{f.Outcome}: {f.Error}" : null);
    }

    /// <summary>From the heal to the first request of the final unbroken run of successes (0 when the run began before the heal).</summary>
    private static double? RecoveryMs(IReadOnlyList<OpRecord> ops, Ledger ledger)
    {
        var byInvocation = ops.OrderBy(o => o.InvokedMs).ToList();
        var lastBad = byInvocation.FindLastIndex(o => o.Outcome is not Outcome.Ok);
        if (lastBad < 0 || lastBad == byInvocation.Count - 1)
        {
            return null;
        }
        var heal = ledger.HealAtMs ?? ledger.FaultAtMs ?? 0;
        return Math.Round(Math.Max(0, byInvocation[lastBad + 1].InvokedMs - heal));
    }

    private static string Errors(int errors, int unknown, IReadOnlyList<OpRecord> ops)
    {
        var states = ops.Where(o => o.Outcome is Outcome.Fail or Outcome.Unknown)
            .Select(o => o.SqlState ?? o.Error?.Split(' ')[0])
            .Where(s => s is not null)
            .GroupBy(s => s!)
            .OrderByDescending(g => g.Count())
            .Take(2)
            .Select(g => g.Key);
        var what = string.Join(", ", states);
        return $"{errors} error(s)" + (unknown > 0 ? $" and {unknown} unknown outcome(s)" : "") + (what.Length > 0 ? $" ({what})" : "");
    }

    private static double? Percentile(double[] sorted, double q) =>
        sorted.Length == 0 ? null : Math.Round(sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)], 2);
}
