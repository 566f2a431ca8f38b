using Chaos.Harness.Checking;

namespace Chaos.Harness.Expectations;

/// <summary>The verdict the suite asserts for a cell, and why.</summary>
/// <param name="Or">
/// A second verdict that is just as expected, for the few cells whose mechanism decides only between two
/// (a retry rescues nearly every refused request, and whether one ran out of attempts is chance): the
/// reason says so, and a run may give either without being a regression.
/// </param>
internal sealed record Expectation(string Fault, string Profile, Verdict Verdict, string Reason, Verdict? Or = null)
{
    public bool Accepts(Verdict verdict) => verdict == Verdict || verdict == Or;
}
