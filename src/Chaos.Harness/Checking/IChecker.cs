using Chaos.Harness.History;

namespace Chaos.Harness.Checking;

/// <summary>
/// A small judge of one aspect of a cell's history and final state. It either finds the verdict its
/// aspect calls for (with the reason), adds a remark to whatever the verdict is, or has nothing to say.
/// <see cref="Judge"/> combines the findings with an explicit priority.
/// </summary>
internal interface IChecker
{
    Finding? Check(CellHistory history, FinalState final);
}

/// <summary>What a checker found: a verdict and its reason, or (with no verdict) a remark for the reason line.</summary>
internal sealed record Finding(Verdict? Verdict, string Text)
{
    public static Finding Of(Verdict verdict, string reason) => new(verdict, reason);
    public static Finding Remark(string text) => new(null, text);
}
