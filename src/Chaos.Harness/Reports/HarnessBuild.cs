using System.Reflection;
using System.Text.RegularExpressions;

namespace Chaos.Harness.Reports;

/// <summary>
/// Which build of the harness wrote a report: its informational version and the git commit it was built
/// from. The .NET SDK appends the commit ("1.0.0+d96a249...") when it builds inside a git checkout
/// (SourceLink's SourceRevisionId); built anywhere else, the commit is unknown and the report says so.
/// `chaos merge` refuses to combine shards of different builds, whose verdicts need not agree.
/// </summary>
/// <remarks>A build with uncommitted changes carries the commit it started from: the commit names the checkout, not every byte.</remarks>
internal static partial class HarnessBuild
{
    /// <summary>The value of "commit" when the build could not know it.</summary>
    public const string UnknownCommit = "unknown (not built from a git checkout)";

    /// <summary>The harness assembly's informational version, e.g. "1.0.0+d96a2497f544e8b558ea8a99d791f404e434551d".</summary>
    public static string Version { get; } =
        typeof(HarnessBuild).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(HarnessBuild).Assembly.GetName().Version?.ToString()
        ?? "unknown";

    /// <summary>The git commit of the build, or <see cref="UnknownCommit"/>.</summary>
    public static string Commit { get; } = CommitOf(Version);

    /// <summary>The commit in an informational version ("1.0.0+&lt;sha&gt;"), or <see cref="UnknownCommit"/>.</summary>
    public static string CommitOf(string informationalVersion) =>
        Sha().Match(informationalVersion) is { Success: true } m ? m.Groups[1].Value.ToLowerInvariant() : UnknownCommit;

    [GeneratedRegex(@"\+([0-9a-fA-F]{7,64})\b")]
    private static partial Regex Sha();
}
