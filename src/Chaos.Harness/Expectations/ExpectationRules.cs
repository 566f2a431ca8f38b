using Chaos.Harness.Checking;
using Chaos.Harness.Profiles;

namespace Chaos.Harness.Expectations;

/// <summary>
/// A fault's expected verdicts as rules on profile traits: a default, plus overrides tried in the order
/// they were added, the first that holds winning. Reasons state the mechanism, with the real constants
/// interpolated, so a changed verdict says which belief about Npgsql just broke.
/// <code>
///   ExpectationRules.Otherwise(Recovered, "no pool setting can replay a transaction")
///       .When(t => t.Retries, Survived, "the whole transaction is retried")
/// </code>
/// </summary>
internal sealed class ExpectationRules
{
    private readonly List<(Func<ProfileTraits, bool> When, Verdict Verdict, string Reason, Verdict? Or)> _rules = [];
    private readonly Verdict _verdict;
    private readonly string _reason;

    private ExpectationRules(Verdict verdict, string reason)
    {
        _verdict = verdict;
        _reason = reason;
    }

    /// <summary>The verdict of every profile no override matches.</summary>
    public static ExpectationRules Otherwise(Verdict verdict, string reason) => new(verdict, reason);

    /// <summary>
    /// An override: profiles whose traits satisfy <paramref name="when"/> get <paramref name="verdict"/> (or
    /// <paramref name="or"/>, when the mechanism decides only between two: say why in the reason), unless an
    /// earlier override matched.
    /// </summary>
    public ExpectationRules When(Func<ProfileTraits, bool> when, Verdict verdict, string reason, Verdict? or = null)
    {
        _rules.Add((when, verdict, reason, or));
        return this;
    }

    public (Verdict Verdict, string Reason, Verdict? Or) For(ProfileTraits traits)
    {
        foreach (var (when, verdict, reason, or) in _rules)
        {
            if (when(traits))
            {
                return (verdict, reason, or);
            }
        }
        return (_verdict, _reason, null);
    }
}
