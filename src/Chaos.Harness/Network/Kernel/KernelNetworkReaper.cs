using System.Text.RegularExpressions;
using Chaos.Harness.Servers.Internal;

namespace Chaos.Harness.Network.Kernel;

/// <summary>
/// Removes what dead runs left of the kernel network path, like <see cref="RunRegistry"/> does for
/// their servers. Everything a run creates carries its run id:
/// <code>
///   /var/run/netns/chaos-&lt;run-id&gt;-&lt;n&gt;   a database host's namespace (its eth0 and nft table live inside it)
///   link chaos&lt;slot&gt;, alias = that name     the application's end of the host's veth pair (root namespace)
/// </code>
/// For a dead run: processes still inside its namespaces are stopped (SIGQUIT first, for postgres's
/// shared memory), its links deleted (which deletes both ends of a veth) and its namespaces unmounted;
/// a namespace with no process and no mount left is freed by the kernel, and its nft table with it.
/// A run is judged by <paramref name="isRunAlive"/> only, so a live run is never touched.
/// </summary>
internal static partial class KernelNetworkReaper
{
    /// <summary>Reaps every namespace and link of runs that are not alive; returns how many namespaces were removed.</summary>
    public static async Task<int> ReapAsync(Func<string, bool> isRunAlive, CancellationToken ct)
    {
        if (!OperatingSystem.IsLinux() || NetTool.IpPath is null) return 0;

        var deadNamespaces = ListNamespaces().Where(n => RunOf(n) is { } run && !isRunAlive(run)).ToList();
        var deadLinks = ListLinks().Where(l => RunOf(l.Alias) is { } run && !isRunAlive(run)).Select(l => l.Name).ToList();

        foreach (var netns in deadNamespaces)
        {
            await StopProcessesInsideAsync(netns, ct);
            // A run killed between creating the veth and naming its end has a link without an alias:
            // found from the namespace's side instead.
            if (await PeerOfAsync(netns, ct) is { } peer && !deadLinks.Contains(peer)) deadLinks.Add(peer);
        }
        foreach (var link in deadLinks)
            await DeleteLinkAsync(link, ct);
        var reaped = 0;
        foreach (var netns in deadNamespaces)
            if (await DeleteNamespaceAsync(netns, ct)) reaped++;
        return reaped;
    }

    /// <summary>
    /// Whether the run that owns <paramref name="runId"/> still lives: its directory under
    /// <see cref="RunRegistry.RunsRoot"/> exists and names a live owner (pid and start time, so a
    /// reused pid does not count). The same judgement as the server reaper's, from the same files.
    /// </summary>
    public static bool IsRunAlive(string runId)
    {
        var ownerFile = Path.Combine(RunRegistry.RunsRoot, runId, "owner.pid");
        try
        {
            if (!File.Exists(ownerFile)) return false;
            var parts = File.ReadAllText(ownerFile).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 0 || !int.TryParse(parts[0], out var pid) || !ProcessTree.IsAlive(pid)) return false;
            return parts.Length < 2 || !long.TryParse(parts[1], out var started) || ProcessTree.StartTime(pid) == started;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Unreadable means someone else's run, or one being deleted: never reap on a guess.
            return File.Exists(ownerFile);
        }
    }

    /// <summary>The name of a host's namespace; also the alias of its root-namespace link.</summary>
    public static string NamespaceName(string runId, int number) => $"chaos-{runId}-{number}";

    internal static string? RunOf(string? netns) =>
        netns is not null && NamespacePattern().Match(netns) is { Success: true } m ? m.Groups["run"].Value : null;

    [GeneratedRegex(@"^chaos-(?<run>[A-Za-z0-9._-]+)-(?<n>[0-9]+)$")]
    private static partial Regex NamespacePattern();

    internal static IEnumerable<string> ListNamespaces()
    {
        const string dir = "/var/run/netns";
        return Directory.Exists(dir) ? Directory.GetFiles(dir).Select(Path.GetFileName).OfType<string>() : [];
    }

    internal static IEnumerable<(string Name, string? Alias)> ListLinks()
    {
        const string dir = "/sys/class/net";
        if (!Directory.Exists(dir)) yield break;
        foreach (var path in Directory.GetDirectories(dir).Concat(Directory.GetFiles(dir)))
        {
            var name = Path.GetFileName(path);
            if (AddressRange.SlotOfLink(name) is null) continue;
            string? alias;
            try { alias = File.ReadAllText(Path.Combine(path, "ifalias")).Trim(); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; /* went away meanwhile */ }
            yield return (name, alias);
        }
    }

    /// <summary>Stops whatever still runs inside a namespace: it can only be ours, the namespace is.</summary>
    internal static async Task StopProcessesInsideAsync(string netns, CancellationToken ct)
    {
        var result = await NetTool.TryRunAsync(NetTool.Ip, ["netns", "pids", netns], ct);
        if (result.ExitCode != 0) return; // gone meanwhile: another reaper, or its owner's dispose
        var pids = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => int.TryParse(p, out var pid) ? pid : 0).Where(p => p > 0 && p != Environment.ProcessId).ToList();
        if (pids.Count > 0) await RunRegistry.StopTreesAsync(pids, ct);
    }

    /// <summary>The root-namespace end of the veth whose other end is the namespace's eth0, if any.</summary>
    internal static async Task<string?> PeerOfAsync(string netns, CancellationToken ct)
    {
        var result = await NetTool.TryRunAsync(NetTool.Ip, ["-n", netns, "-j", "link", "show", "dev", HostTable.Link], ct);
        if (result.ExitCode != 0) return null;
        using var doc = System.Text.Json.JsonDocument.Parse(result.Stdout);
        foreach (var link in doc.RootElement.EnumerateArray())
        {
            if (!link.TryGetProperty("link_index", out var index)) continue;
            foreach (var (name, _) in ListLinks())
            {
                try
                {
                    if (File.ReadAllText($"/sys/class/net/{name}/ifindex").Trim() == index.GetInt32().ToString()) return name;
                }
                catch (IOException) { /* that link went away meanwhile */ }
            }
        }
        return null;
    }

    internal static async Task DeleteLinkAsync(string link, CancellationToken ct)
    {
        var result = await NetTool.TryRunAsync(NetTool.Ip, ["link", "del", link], ct);
        if (result.ExitCode != 0 && !result.Stderr.Contains("Cannot find device", StringComparison.Ordinal))
            throw NetTool.Failed(NetTool.Ip, ["link", "del", link], result);
    }

    /// <summary>False when the namespace was already gone.</summary>
    internal static async Task<bool> DeleteNamespaceAsync(string netns, CancellationToken ct)
    {
        var result = await NetTool.TryRunAsync(NetTool.Ip, ["netns", "del", netns], ct);
        if (result.ExitCode == 0) return true;
        if (result.Stderr.Contains("No such file", StringComparison.Ordinal)) return false;
        throw NetTool.Failed(NetTool.Ip, ["netns", "del", netns], result);
    }
}
