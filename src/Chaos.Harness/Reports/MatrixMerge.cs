namespace Chaos.Harness.Reports;

/// <summary>One matrix.json to merge, with the name it is called by in messages (its path).</summary>
internal sealed record MergeInput(string Source, MatrixRecord Matrix);

/// <summary>
/// Combines the shard runs of one selection (`chaos matrix --shard I/N`) into the record one whole run
/// would have written. Runs that cannot be combined are refused with one line saying why, never merged
/// into a matrix that looks whole: shards of different builds or versions, of different selections,
/// partial runs, a missing shard, a cell twice or a cell missing.
/// </summary>
internal static class MatrixMerge
{
    /// <summary>Environment keys that must agree where shards record them: what the verdicts were measured against.</summary>
    public static IReadOnlyList<string> VersionKeys { get; } = ["npgsql", "postgres", "pgbouncer", "server"];

    /// <summary>Environment keys of the harness build, which must agree in every shard (a missing one counts as a value).</summary>
    public static IReadOnlyList<string> BuildKeys { get; } = ["harness", "commit"];

    private const string NotRecorded = "(not recorded)";

    /// <summary>The merged record; throws <see cref="UsageException"/> with one line when the inputs do not make one whole run.</summary>
    public static MatrixRecord Merge(IReadOnlyList<MergeInput> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Count == 0)
            throw new UsageException("merge: no matrix.json given; give the shards' matrix.json files or folders holding them");

        foreach (var input in inputs)
        {
            if (input.Matrix.Partial)
                throw new UsageException($"merge: {input.Source} is a partial run (stopped before every cell finished){ShardOf(input)}; run it again");
            if (input.Matrix.Selection is null)
                throw new UsageException($"merge: {input.Source} records no selection (written by an older harness, or not by 'chaos matrix'); run it again with this harness");
        }
        CheckAgree(inputs, BuildKeys, missingCounts: true, "harness builds", "merge runs of one build");
        CheckAgree(inputs, VersionKeys, missingCounts: false, "versions", "merge runs against the same versions");

        var first = inputs[0];
        var selection = first.Matrix.Selection!;
        foreach (var input in inputs.Skip(1))
        {
            if (!input.Matrix.Selection!.SameCellsAs(selection))
                throw new UsageException($"merge: different selections: {first.Source} ran {Describe(selection)}, {input.Source} ran {Describe(input.Matrix.Selection)}; merge the shards of one selection");
        }

        var shards = inputs.Select(i => (Input: i, Shard: i.Matrix.Selection!.Shard ?? new Shard(1, 1))).ToList();
        if (shards.FirstOrDefault(s => s.Shard.Count != shards[0].Shard.Count) is { Input: not null } other)
            throw new UsageException($"merge: different shard counts: {shards[0].Input.Source} is shard {shards[0].Shard}, {other.Input.Source} is shard {other.Shard}; merge the shards of one run");
        var count = shards[0].Shard.Count;
        if (shards.GroupBy(s => s.Shard.Index).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new UsageException($"merge: shard {twice.First().Shard} is given twice: {string.Join(" and ", twice.Select(s => s.Input.Source))}; give each shard once");
        var missingShards = Enumerable.Range(1, count).Except(shards.Select(s => s.Shard.Index)).ToList();
        if (missingShards.Count > 0)
            throw new UsageException($"merge: {Plural(missingShards.Count, "shard")} {Join(missingShards.Select(i => $"{i}/{count}"))} {(missingShards.Count == 1 ? "is" : "are")} missing "
                                     + $"(given: {Join(shards.Select(s => s.Shard).OrderBy(s => s.Index).Select(s => s.ToString()))}); give every shard's matrix.json");

        var wanted = selection.Cells.ToHashSet();
        var found = new Dictionary<(string, string), (CellRecord Cell, string Source)>();
        foreach (var input in inputs)
        {
            foreach (var cell in input.Matrix.Cells)
            {
                var key = (cell.Fault, cell.Profile);
                if (!wanted.Contains(key))
                    throw new UsageException($"merge: {input.Source} holds the cell {cell.Fault} / {cell.Profile}, which its selection does not include");
                if (!found.TryAdd(key, (cell, input.Source)))
                    throw new UsageException($"merge: the cell {cell.Fault} / {cell.Profile} appears twice, in {found[key].Source} and {input.Source}; each cell must come from one shard");
            }
        }
        var missing = selection.Cells.Where(c => !found.ContainsKey(c)).ToList();
        if (missing.Count > 0)
            throw new UsageException($"merge: {missing.Count} {Plural(missing.Count, "cell")} of the selection {(missing.Count == 1 ? "is" : "are")} in no shard: "
                                     + $"{Join(missing.Select(c => $"{c.Fault} / {c.Profile}"))}; run the shard that holds {(missing.Count == 1 ? "it" : "them")} again");

        var start = inputs.Min(i => i.Matrix.StartedAt);
        var end = inputs.Max(i => i.Matrix.StartedAt.AddMilliseconds(i.Matrix.DurationMs));
        return new MatrixRecord
        {
            StartedAt = start,
            // The wall time the shards spanned together: from the first start to the last end.
            DurationMs = Math.Round((end - start).TotalMilliseconds),
            Partial = false,
            Environment = MergeEnvironments(inputs),
            Selection = selection with { Shard = null, MergedShards = inputs.Count },
            Cells = [.. selection.Cells.Select(c => found[c].Cell)],
        };
    }

    // Keys that must agree were checked; the others (machine, proxy, parallelism) keep every value seen, in order.
    private static Dictionary<string, string> MergeEnvironments(IReadOnlyList<MergeInput> inputs)
    {
        var merged = new Dictionary<string, string>();
        foreach (var key in inputs.SelectMany(i => i.Matrix.Environment.Keys).Distinct())
        {
            var values = inputs.Select(i => i.Matrix.Environment.GetValueOrDefault(key)).OfType<string>().Distinct().ToList();
            merged[key] = string.Join(" | ", values);
        }
        return merged;
    }

    private static void CheckAgree(IReadOnlyList<MergeInput> inputs, IReadOnlyList<string> keys, bool missingCounts, string what, string fix)
    {
        foreach (var key in keys)
        {
            var seen = inputs
                .Select(i => (i.Source, Value: i.Matrix.Environment.GetValueOrDefault(key) ?? (missingCounts ? NotRecorded : null)))
                .Where(s => s.Value is not null)
                .ToList();
            var groups = seen.GroupBy(s => s.Value, StringComparer.Ordinal).ToList();
            if (groups.Count > 1)
                throw new UsageException($"merge: different {what}: {key} {groups[0].Key} in {groups[0].First().Source}, {groups[1].Key} in {groups[1].First().Source}; {fix}");
        }
    }

    private static string ShardOf(MergeInput input) => input.Matrix.Selection?.Shard is { } shard ? $" of shard {shard}" : "";

    private static string Describe(MatrixSelection selection) =>
        $"{selection.Describe()} (faults {Join(selection.Faults)}; profiles {Join(selection.Profiles)}"
        + (selection.CustomProfiles.Count == 0 ? "" : $"; settings {Join(selection.CustomProfiles.Select(kv => $"{kv.Key}=\"{kv.Value}\""))}")
        + ")";

    // Long lists are cut after a few names: the line must stay one line a person reads.
    private static string Join(IEnumerable<string> items, int max = 6)
    {
        var list = items.ToList();
        return list.Count <= max ? string.Join(", ", list) : $"{string.Join(", ", list.Take(max))} and {list.Count - max} more";
    }

    private static string Plural(int n, string word) => Figures.Plural(n, word);
}
