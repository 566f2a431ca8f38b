using Chaos.Harness.History;

namespace Chaos.Harness.Checking;

/// <summary>
/// The harness's own failures: a fault that struck nothing proves nothing about the profile, so the cell
/// gets <see cref="Verdict.Error"/> instead of passing for the wrong reason.
/// </summary>
internal sealed class HarnessChecker : IChecker
{
    public Finding? Check(CellHistory history, FinalState final) =>
        final.HarnessProblems.Count == 0
            ? null
            : Finding.Of(Verdict.Error, $"the harness could not judge this cell: {string.Join("; ", final.HarnessProblems)}");
}
