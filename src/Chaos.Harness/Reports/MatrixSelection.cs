using System.Text.Json.Serialization;

namespace Chaos.Harness.Reports;

/// <summary>
/// What a run was asked for: the faults and profiles chosen, and which shard of their cells it ran.
/// `chaos merge` refuses to combine runs whose selections differ, and finds missing shards from it.
/// </summary>
internal sealed record MatrixSelection
{
    /// <summary>The faults chosen, in the order the run used.</summary>
    public required IReadOnlyList<string> Faults { get; init; }

    /// <summary>The profiles chosen, built-in and the user's own, in the order the run used.</summary>
    public required IReadOnlyList<string> Profiles { get; init; }

    /// <summary>The settings of the user's own profiles (--profile NAME="..."), by name: the same name with other settings is another selection.</summary>
    public IReadOnlyDictionary<string, string> CustomProfiles { get; init; } = new Dictionary<string, string>();

    /// <summary>The slice of the cells this run ran (--shard I/N); null when it ran them all.</summary>
    public Shard? Shard { get; init; }

    /// <summary>How many shard runs `chaos merge` combined into this record; 0 for a record written by a run.</summary>
    public int MergedShards { get; init; }

    /// <summary>Every cell of the selection: faults x profiles, in run order.</summary>
    [JsonIgnore]
    public IEnumerable<(string Fault, string Profile)> Cells =>
        from fault in Faults from profile in Profiles select (fault, profile);

    /// <summary>True when both select the same cells with the same settings, whatever the order they were typed in.</summary>
    public bool SameCellsAs(MatrixSelection other) =>
        Faults.ToHashSet(StringComparer.Ordinal).SetEquals(other.Faults)
        && Profiles.ToHashSet(StringComparer.Ordinal).SetEquals(other.Profiles)
        && CustomProfiles.Count == other.CustomProfiles.Count
        && CustomProfiles.All(kv => other.CustomProfiles.TryGetValue(kv.Key, out var settings) && settings == kv.Value);

    /// <summary>"2 faults x 3 profiles", for messages.</summary>
    public string Describe() =>
        $"{Faults.Count} {Figures.Plural(Faults.Count, "fault")} x {Profiles.Count} {Figures.Plural(Profiles.Count, "profile")}";
}

/// <summary>Shard <paramref name="Index"/> of <paramref name="Count"/> (1-based): one of the disjoint slices a selection's cells are split into.</summary>
internal sealed record Shard(int Index, int Count)
{
    /// <summary>The most shards a selection is split into: far more than any CI fans out to.</summary>
    public const int MaxCount = 256;

    public override string ToString() => $"{Index}/{Count}";

    /// <summary>
    /// Parses "I/N" (1 &lt;= I &lt;= N &lt;= <see cref="MaxCount"/>). On failure <paramref name="error"/> is one line
    /// naming the value and what is accepted.
    /// </summary>
    public static bool TryParse(string? text, out Shard shard, out string? error)
    {
        shard = new Shard(1, 1);
        error = null;
        var parts = (text ?? "").Trim().Split('/');
        if (parts.Length == 2
            && int.TryParse(parts[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index)
            && int.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var count)
            && count is >= 1 and <= MaxCount && index >= 1 && index <= count)
        {
            shard = new Shard(index, count);
            return true;
        }
        error = $"--shard '{text}': give I/N, shard I of N shards with 1 <= I <= N <= {MaxCount}, e.g. --shard 2/3";
        return false;
    }
}
