using Chaos.Harness;
using Chaos.Harness.Faults;
using Chaos.Harness.Profiles;
using Chaos.Harness.Reports;

namespace Chaos.Cli;

/// <summary>Turns --faults, --profiles and --profile NAME=SETTINGS into what the matrix runs, with one clear error for a bad value.</summary>
internal static class Selection
{
    public static IReadOnlyList<string> Faults(string? faults)
    {
        var names = ChaosCli.List(faults);
        Once(names, "fault", "--faults");
        return names.Count == 0 ? FaultCatalog.Names : [.. names.Select(n => FaultCatalog.Get(n).Name)];
    }

    public static IReadOnlyList<Profile> Profiles(string? profiles, IReadOnlyList<string> custom)
    {
        var names = ChaosCli.List(profiles);
        Once(names, "profile", "--profiles");
        var named = ProfileCatalog.Select(names);
        var own = custom.Select(Custom).ToList();
        Once([.. own.Select(p => p.Name)], "profile", "--profile");
        if (named.Count == 0 && own.Count == 0)
        {
            return ProfileCatalog.All;
        }
        return [.. named, .. own];
    }

    /// <summary>What matrix.json records of the choice, so `chaos merge` can tell shards of one selection from others.</summary>
    public static MatrixSelection Record(IReadOnlyList<string> faults, IReadOnlyList<Profile> profiles, Shard? shard) => new()
    {
        Faults = faults,
        Profiles = [.. profiles.Select(p => p.Name)],
        CustomProfiles = profiles.Where(p => !ProfileCatalog.All.Contains(p)).ToDictionary(p => p.Name, p => p.SettingsText + p.PolicyText),
        Shard = shard,
    };

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

    // The same cell twice would be written twice, and the report then refused as a baseline.
    private static void Once(IReadOnlyList<string> names, string what, string option)
    {
        if (names.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            throw new UsageException($"{option}: {what} '{twice.Key}' is given twice; give each once");
        }
    }
}
