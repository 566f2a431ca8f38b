namespace Chaos.Harness.Servers.Internal;

/// <summary>Process facts read from /proc (Linux): parents, command lines, liveness, start times.</summary>
internal static class ProcessTree
{
    private record struct Stat(char State, int ParentPid, long StartTime);

    public static bool IsAlive(int pid) => ReadStat(pid) is { State: not 'Z' and not 'X' };

    /// <summary>Kernel start time in clock ticks since boot: tells a pid from a reused pid.</summary>
    public static long? StartTime(int pid) => ReadStat(pid)?.StartTime;

    public static string? CommandLine(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').TrimEnd(); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    public static IEnumerable<int> AllPids()
    {
        if (!Directory.Exists("/proc")) yield break;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
            if (int.TryParse(Path.GetFileName(dir), out var pid)) yield return pid;
    }

    /// <summary>All descendants of <paramref name="root"/>, parents before children.</summary>
    public static List<int> Descendants(int root)
    {
        var parentOf = new Dictionary<int, int>();
        foreach (var pid in AllPids())
            if (ReadStat(pid) is { } stat) parentOf[pid] = stat.ParentPid;

        var result = new List<int>();
        var frontier = new Queue<int>([root]);
        while (frontier.TryDequeue(out var parent))
            foreach (var (pid, ppid) in parentOf)
                if (ppid == parent) { result.Add(pid); frontier.Enqueue(pid); }
        return result;
    }

    private static Stat? ReadStat(int pid)
    {
        string text;
        try { text = File.ReadAllText($"/proc/{pid}/stat"); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }

        // "pid (comm) S ppid ..." where comm may itself contain spaces and parentheses.
        var close = text.LastIndexOf(')');
        if (close < 0) return null;
        var fields = text[(close + 2)..].Split(' ');
        // fields[0] = state (field 3), fields[1] = ppid (field 4), fields[19] = starttime (field 22)
        if (fields.Length < 20) return null;
        return new Stat(fields[0][0], int.Parse(fields[1]), long.Parse(fields[19]));
    }
}
