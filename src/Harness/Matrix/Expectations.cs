using Chaos.Harness.Checking;
using static Chaos.Harness.Checking.Verdict;

namespace Chaos.Harness.Matrix;

/// <summary>The verdict the suite asserts for a cell, and why.</summary>
public sealed record Expectation(string Fault, string Profile, Verdict Verdict, string Reason);

/// <summary>
/// The asserted matrix: one row per cell with a one-line reason. A cell whose verdict differs is a
/// regression for the tests and for `chaos matrix` (exit code 1). Reasons state the mechanism, so a
/// changed verdict says which belief about Npgsql just broke.
/// </summary>
public static class Expectations
{
    private static readonly Dictionary<(string Fault, string Profile), Expectation> Table = Build();

    public static IReadOnlyCollection<Expectation> All => Table.Values;

    public static Expectation? For(string fault, string profile) => Table.GetValueOrDefault((fault, profile));

    /// <summary>The result with its expectation (if the table has one) filled in.</summary>
    public static CellResult Attach(CellResult result) =>
        For(result.Fault, result.Profile) is { } e ? result with { Expected = e.Verdict, ExpectedReason = e.Reason } : result;

    private static Dictionary<(string, string), Expectation> Build()
    {
        var rows = new List<Expectation>();
        return rows.ToDictionary(e => (e.Fault, e.Profile));
    }
}
