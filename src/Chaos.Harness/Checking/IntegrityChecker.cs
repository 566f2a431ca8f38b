using Chaos.Harness.History;

namespace Chaos.Harness.Checking;

/// <summary>
/// Integrity first: an acknowledged write must be there exactly once and whole; a write the application
/// was told failed must not be there at all; an unknown or hung one may be either, but never half or twice;
/// no row may appear that nobody wrote; no request may get back data that was not its own.
/// </summary>
internal sealed class IntegrityChecker : IChecker
{
    public Finding? Check(CellHistory history, FinalState final)
    {
        var integrity = Evaluate(history.Ops, final.Rows);
        return integrity.Violations > 0 ? Finding.Of(Verdict.Corrupted, integrity.Summary) : null;
    }

    /// <summary>The integrity counts of a history against the final read.</summary>
    public static Integrity Evaluate(IReadOnlyList<Op> ops, IReadOnlyList<WriteRows> rows)
    {
        var byWrite = rows.GroupBy(r => r.WriteId).ToDictionary(g => g.Key, g => g.GroupBy(r => r.Part).ToDictionary(p => p.Key, p => p.Sum(r => r.Count)));
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
        var stale = ops.Count(o => o.Violation?.StartsWith(Violations.StaleRead, StringComparison.Ordinal) == true);
        var wrong = ops.Where(o => o.Violation is not null && !o.Violation.StartsWith(Violations.StaleRead, StringComparison.Ordinal)).ToList();
        return new Integrity(lost, duplicated, half, afterFail, phantom, wrong.Count, wrong.FirstOrDefault()?.Violation) { StaleReads = stale };
    }
}

/// <summary>Counts of each kind of integrity violation.</summary>
internal sealed record Integrity(int Lost, int Duplicated, int HalfApplied, int AppliedAfterFail, int Phantom, int Wrong, string? FirstWrong)
{
    /// <summary>Reads right after a request's own acknowledged write that did not see it (read-your-writes).</summary>
    public int StaleReads { get; init; }

    public int Violations => Lost + Duplicated + HalfApplied + AppliedAfterFail + Phantom + Wrong + StaleReads;

    public string Summary => string.Join(", ", new[]
    {
        Lost > 0 ? $"{Lost} acknowledged write(s) lost" : null,
        Duplicated > 0 ? $"{Duplicated} write(s) applied twice" : null,
        HalfApplied > 0 ? $"{HalfApplied} transaction(s) half-applied" : null,
        AppliedAfterFail > 0 ? $"{AppliedAfterFail} write(s) applied although the application was told they failed" : null,
        Phantom > 0 ? $"{Phantom} row(s) nobody wrote" : null,
        Wrong > 0 ? $"{Wrong} request(s) got data that was not theirs ({FirstWrong})" : null,
        StaleReads > 0 ? $"{StaleReads} read(s) missed the request's own acknowledged write (read-your-writes)" : null,
    }.Where(s => s is not null));
}
