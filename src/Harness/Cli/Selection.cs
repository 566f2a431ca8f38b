using Chaos.Harness.Faults;
using Chaos.Harness.Profiles;

namespace Chaos.Harness.Cli;

/// <summary>Turns --faults, --profiles and --profile NAME=SETTINGS into what the matrix runs, with one clear error for a bad value.</summary>
internal static class Selection
{
    public static IReadOnlyList<string> Faults(string? faults)
    {
        var names = ChaosCli.List(faults);
        return names.Count == 0 ? FaultCatalog.Names : [.. names.Select(n => FaultCatalog.Create(n).Name)];
    }

    public static IReadOnlyList<Profile> Profiles(string? profiles, IReadOnlyList<string> custom)
    {
        var named = ProfileCatalog.Select(ChaosCli.List(profiles));
        var own = custom.Select(Custom).ToList();
        if (named.Count == 0 && own.Count == 0)
        {
            return ProfileCatalog.All;
        }
        return [.. named, .. own];
    }

    /// <summary>Parses NAME=SETTINGS, e.g. mine="Maximum Pool Size=5;Keepalive=10".</summary>
    public static Profile Custom(string text)
    {
        var eq = text.IndexOf('=');
        if (eq <= 0)
        {
            throw new UsageException($"--profile '{text}' must be NAME=\"<npgsql settings>\", e.g. mine=\"Maximum Pool Size=5;Keepalive=10\"");
        }
        var name = text[..eq].Trim();
        if (ProfileCatalog.All.Any(p => p.Name == name))
        {
            throw new UsageException($"--profile '{name}' is a built-in profile; pick another name for your settings");
        }
        return ProfileCatalog.Custom(name, text[(eq + 1)..].Trim().Trim('"'));
    }
}
