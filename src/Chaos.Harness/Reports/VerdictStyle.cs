using Chaos.Harness.Checking;

namespace Chaos.Harness.Reports;

/// <summary>
/// How every report presents a verdict: one symbol, one color and one sentence for a service owner.
/// Kept in one place so the console, Markdown and HTML never disagree about what a verdict means.
/// </summary>
internal static class VerdictStyle
{
    /// <summary>Every verdict, in the order reports list them: best first.</summary>
    public static IReadOnlyList<Verdict> All { get; } = Enum.GetValues<Verdict>();

    /// <summary>Plain characters, no emoji: they survive terminals, JUnit viewers and email digests alike.</summary>
    public static string Symbol(Verdict verdict) => verdict switch
    {
        Verdict.Survived => "✓",
        Verdict.Recovered => "↻",
        Verdict.Failed => "✗",
        Verdict.Hung => "∞",
        Verdict.Corrupted => "‼",
        Verdict.NotApplicable => "–",
        Verdict.Error => "?",
        _ => "?",
    };

    /// <summary>What the verdict means for the people who run the service, not for the harness.</summary>
    public static string Meaning(Verdict verdict) => verdict switch
    {
        Verdict.Survived => "Users would not notice: no error reached the application and no data was lost.",
        Verdict.Recovered => "Users see a bounded burst of errors, then the service heals by itself with data intact. Budget for retries or an error spike.",
        Verdict.Failed => "The service keeps failing after the fault is over: someone has to restart or intervene.",
        Verdict.Hung => "A request hung past the deadline: callers and threads pile up and nothing times out. Worse than an error.",
        Verdict.Corrupted => "Data is wrong: an acknowledged write is missing, applied twice, or half applied. Treat it as a data incident.",
        Verdict.NotApplicable => "This fault cannot happen with this profile (for example a PgBouncer fault on a direct connection); nothing was run.",
        Verdict.Error => "The harness could not judge this cell (it failed, or its fault struck nothing): this says nothing about the profile. Look at the reason and rerun.",
        _ => "",
    };

    /// <summary>Background and text color for the HTML grid (light tints would fail to separate failed from corrupted).</summary>
    public static (string Background, string Text) HtmlColors(Verdict verdict) => verdict switch
    {
        Verdict.Survived => ("#1a7f37", "#ffffff"),
        Verdict.Recovered => ("#9a6700", "#ffffff"),
        Verdict.Failed => ("#cf222e", "#ffffff"),
        Verdict.Hung => ("#8250df", "#ffffff"),
        Verdict.Corrupted => ("#24292f", "#ffffff"),
        Verdict.NotApplicable => ("#eaeef2", "#57606a"),
        Verdict.Error => ("#ffffff", "#cf222e"),
        _ => ("#ffffff", "#000000"),
    };

    /// <summary>Spectre.Console markup style for the console table.</summary>
    public static string ConsoleStyle(Verdict verdict) => verdict switch
    {
        Verdict.Survived => "green",
        Verdict.Recovered => "yellow",
        Verdict.Failed => "red",
        Verdict.Hung => "magenta",
        Verdict.Corrupted => "bold white on red",
        Verdict.NotApplicable => "grey",
        Verdict.Error => "bold red",
        _ => "default",
    };
}
