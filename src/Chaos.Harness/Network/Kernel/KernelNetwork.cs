using System.Globalization;

namespace Chaos.Harness.Network.Kernel;

/// <summary>
/// The kernel network path: a cell's servers run inside a network namespace of their own (a
/// <see cref="DatabaseHost"/>), and the application in the harness process reaches it over a veth
/// link, so that the kernel, not a proxy, decides what the application sees when the link fails.
/// <code>
///   harness process (root namespace)              database host (namespace chaos-&lt;run&gt;-&lt;n&gt;)
///   Npgsql ── 10.250.x.y+1 ─ chaos&lt;k&gt; ══ veth ══ eth0 ─ 10.250.x.y+2 ── postgres, pgbouncer
///                                                    └ nft table inet chaos: the fault's rules
/// </code>
/// Root-namespace traffic over the veth is INPUT/OUTPUT there, never FORWARD, so a Docker daemon's
/// FORWARD policy DROP does not touch it.
/// </summary>
internal static partial class KernelNetwork
{
    private const int CapNetAdmin = 12;
    private const int CapSysAdmin = 21;

    // Capabilities are known before anything starts and are asked for synchronously, per cell; the machine's
    // answer does not change within a run that has started building hosts, so it is probed once (bounded:
    // reading /proc, finding three tools, one `ip route` call).
    private static readonly Lazy<KernelNetworkSupport> s_support =
        new(() => ProbeAsync(CancellationToken.None).GetAwaiter().GetResult(), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>This process's answer from <see cref="ProbeAsync"/>, probed on first use: whether cells can have the kernel path.</summary>
    public static KernelNetworkSupport Support => s_support.Value;

    /// <summary>The address range the kernel path uses (and refuses to share with the machine's own routes).</summary>
    public static string AddressRange => Kernel.AddressRange.Cidr;

    /// <summary>
    /// What this machine lacks for the kernel path, each with its fix; checked without creating anything.
    /// The range check reads the machine's routes, so a VPN or a container network that appeared since
    /// is seen: call it again rather than caching it for a whole run.
    /// </summary>
    public static async Task<KernelNetworkSupport> ProbeAsync(CancellationToken ct)
    {
        if (!OperatingSystem.IsLinux())
            return KernelNetworkSupport.No(["needs Linux: network namespaces and nftables are Linux kernel features"]);

        var missing = Missing(EffectiveCapabilities(), NetTool.IpPath is not null, NetTool.NftPath is not null, NetTool.ConntrackPath is not null);
        if (missing.Count == 0 && await OverlapAsync(ct) is { } overlap) missing.Add(overlap);
        return missing.Count == 0 ? KernelNetworkSupport.Yes : KernelNetworkSupport.No(missing);
    }

    /// <summary>What is missing, each with its fix, from the effective capabilities (CapEff) and the tools found.</summary>
    internal static List<string> Missing(ulong? capabilities, bool hasIp, bool hasNft, bool hasConntrack)
    {
        var missing = new List<string>();
        if (!Has(capabilities, CapNetAdmin) || !Has(capabilities, CapSysAdmin))
            missing.Add("needs CAP_NET_ADMIN and CAP_SYS_ADMIN (links and nftables need the first, mounting a namespace under /var/run/netns the second): run as root, or with sudo");
        if (!hasIp) missing.Add("needs ip: apt-get install iproute2");
        if (!hasNft) missing.Add("needs nft: apt-get install nftables");
        if (!hasConntrack) missing.Add("needs conntrack (idle-flow faults update tracked flows): apt-get install conntrack");
        return missing;
    }

    /// <summary>A sentence naming the machine's routes that overlap the range, or null when there are none.</summary>
    internal static async Task<string?> OverlapAsync(CancellationToken ct)
    {
        IReadOnlyList<string> overlaps;
        for (var attempt = 1; ; attempt++)
        {
            var routes = await NetTool.RunAsync(NetTool.Ip, ["-j", "-4", "route", "show", "table", "all"], ct);
            overlaps = Kernel.AddressRange.Overlaps(routes.Stdout);
            // `ip` names devices from a link list it reads first: a link created meanwhile (another cell's host,
            // being wired) shows as "if<index>", and its routes cannot be told from a stranger's. Such a listing
            // is taken again; a route that is really someone else's is still there the next time.
            if (attempt == 5 || !overlaps.Any(UnresolvedDevice().IsMatch)) break;
            await Task.Delay(TimeSpan.FromMilliseconds(50 * attempt), ct);
        }
        return overlaps.Count == 0
            ? null
            : $"the kernel network path uses {Kernel.AddressRange.Cidr}, but this machine already routes part of it " +
              $"({string.Join("; ", overlaps)}); the harness never shares that range with anything else, so it refuses to build " +
              "database hosts here: remove that route or network, or run on a machine without it";
    }

    private static ulong? EffectiveCapabilities()
    {
        try
        {
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("CapEff:", StringComparison.Ordinal));
            return line is null ? null : ulong.Parse(line["CapEff:".Length..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        }
        catch (IOException) { return null; }
    }

    [System.Text.RegularExpressions.GeneratedRegex(@" dev if\d+( |$)")]
    private static partial System.Text.RegularExpressions.Regex UnresolvedDevice();

    private static bool Has(ulong? caps, int bit) => caps is { } c && (c & (1UL << bit)) != 0;
}
