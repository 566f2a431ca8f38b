namespace Chaos.Harness.Network.Kernel;

/// <summary>
/// The database host's connection tracking, which plays the middlebox of the idle-flow rules.
/// <list type="bullet">
/// <item>It runs from the host's creation on (the host table holds a <c>ct</c> rule, which is what makes
/// the kernel track a namespace at all): a flow that existed before tracking started would be unknown,
/// and its packets "invalid", the moment an idle-flow rule went in.</item>
/// <item><c>nf_conntrack_tcp_be_liberal=1</c> always: no packet of a known flow is ever called invalid for
/// being out of window (retransmissions under packet loss), so "invalid" means "forgotten".</item>
/// <item>While an idle-flow rule is active, <c>nf_conntrack_tcp_loose=0</c> (a forgotten flow is not picked
/// up again mid-stream) and <c>nf_conntrack_tcp_timeout_established</c> is the idle timeout. The sysctl,
/// not an nft <c>ct timeout</c> policy, because a policy only attaches to flows created after it
/// (measured: an existing flow kept its 432000 s); flows that already exist get the timeout through
/// <c>conntrack -U</c>. At rest both are back to the kernel's defaults.</item>
/// </list>
/// All of these sysctls are per network namespace: the machine's own are never touched.
/// </summary>
internal static class ConnectionTracking
{
    private const string Loose = "net/netfilter/nf_conntrack_tcp_loose";
    private const string BeLiberal = "net/netfilter/nf_conntrack_tcp_be_liberal";
    private const string Established = "net/netfilter/nf_conntrack_tcp_timeout_established";

    /// <summary>Conntrack timeouts are whole seconds; anything else would be silently rounded.</summary>
    public static TimeSpan ValidateIdleTimeout(TimeSpan idleTimeout)
    {
        if (idleTimeout < TimeSpan.FromSeconds(1) || idleTimeout.Ticks % TimeSpan.TicksPerSecond != 0)
            throw new ArgumentOutOfRangeException(nameof(idleTimeout), idleTimeout,
                "an idle timeout is a whole number of seconds, at least 1 (connection tracking counts in seconds)");
        return idleTimeout;
    }

    /// <summary>
    /// Sets up a fresh namespace before its link comes up; returns the kernel's established-flow timeout,
    /// which is what a heal restores.
    /// </summary>
    public static Task<int> PrepareAsync(string netns, CancellationToken ct) => NamespaceThread.RunAsync(netns, () =>
    {
        NamespaceThread.WriteSysctl(BeLiberal, "1");
        // IPv4 only: no link-local addresses, router solicitations or neighbour discovery on the link,
        // so every packet the rules and their counters see belongs to the application's connections.
        NamespaceThread.WriteSysctlIfPresent("net/ipv6/conf/all/disable_ipv6", "1");
        NamespaceThread.WriteSysctlIfPresent("net/ipv6/conf/default/disable_ipv6", "1");
        return int.Parse(NamespaceThread.ReadSysctl(Established));
    }, ct);

    /// <summary>From now on, flows to the host idle longer than <paramref name="idleTimeout"/> are forgotten.</summary>
    public static async Task ForgetIdleFlowsAsync(string netns, System.Net.IPAddress host, TimeSpan idleTimeout, CancellationToken ct)
    {
        var seconds = (int)idleTimeout.TotalSeconds;
        await NamespaceThread.RunAsync(netns, () =>
        {
            NamespaceThread.WriteSysctl(Loose, "0");
            NamespaceThread.WriteSysctl(Established, seconds.ToString());
        }, ct);
        await SetRemainingAsync(netns, host, seconds, ct);
    }

    /// <summary>Back to the kernel's defaults: flows are remembered for days and picked up mid-stream.</summary>
    public static async Task RestAsync(string netns, System.Net.IPAddress host, int establishedTimeout, CancellationToken ct)
    {
        await NamespaceThread.RunAsync(netns, () =>
        {
            NamespaceThread.WriteSysctl(Established, establishedTimeout.ToString());
            NamespaceThread.WriteSysctl(Loose, "1");
        }, ct);
        // Best effort at rest: every flow takes the restored timeout at its next packet anyway, and one that
        // idles out first is picked up again mid-stream (loose=1) with no rule left to drop it. The update
        // matters only to keep the table tidy, and after thousands of no-pooling connections its dump
        // overflowed the netlink buffer (ENOBUFS) in six attempts running.
        await SetRemainingAsync(netns, host, establishedTimeout, ct, required: false);
    }

    /// <summary>The flows to the host conntrack knows: the client's port and the TCP state, from <c>conntrack -L</c>.</summary>
    public static async Task<IReadOnlyList<TrackedFlow>> ListAsync(string netns, System.Net.IPAddress host, CancellationToken ct)
    {
        var result = await NetTool.RunAsync(NetTool.Ip, ["netns", "exec", netns, NetTool.Conntrack, "-L", "-f", "ipv4", "-p", "tcp", "-d", host.ToString()], ct);
        var flows = new List<TrackedFlow>();
        foreach (var line in result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            // "tcp 6 431999 ESTABLISHED src=10.250.0.1 dst=10.250.0.2 sport=52232 dport=7000 src=... [ASSURED] ..."
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var sport = fields.FirstOrDefault(f => f.StartsWith("sport=", StringComparison.Ordinal));
            if (fields.Length < 4 || sport is null || !int.TryParse(fields[2], out var remaining)) continue;
            flows.Add(new TrackedFlow(int.Parse(sport["sport=".Length..]), fields[3], TimeSpan.FromSeconds(remaining)));
        }
        return flows;
    }

    /// <summary>
    /// Sets the remaining timeout of every tracked TCP flow to the host. Notes from measuring conntrack-tools
    /// 1.4.7 on kernel 6.18: without <c>-f ipv4</c> the update is refused (EOPNOTSUPP, it sends family 0);
    /// <c>--state</c> is not a filter for -U but a new state to set, so it is not used; finding nothing to
    /// update exits 1 with "0 flow entries have been updated", which is success here. Flows in TIME_WAIT or
    /// CLOSE_WAIT get the same timeout: harmless, their sockets are done.
    /// </summary>
    private static async Task SetRemainingAsync(string netns, System.Net.IPAddress host, int seconds, CancellationToken ct, bool required = true)
    {
        string[] args = ["netns", "exec", netns, NetTool.Conntrack, "-U", "-f", "ipv4", "-p", "tcp", "-d", host.ToString(), "--timeout", seconds.ToString()];
        for (var attempt = 1; ; attempt++)
        {
            var result = await NetTool.TryRunAsync(NetTool.Ip, args, ct);
            if (result.ExitCode == 0 || result.Stderr.Contains(" 0 flow entries have been updated", StringComparison.Ordinal)) return;
            // "Protocol error" (EPROTO): a flow conntrack listed was gone or dying when its update came, which
            // happens when connections close while we update (no-pooling opens and closes one per request).
            // Measured in the matrix: the next attempt succeeds; a flow that is closing needs no timeout anyway.
            var closing = result.Stderr.Contains("Protocol error", StringComparison.Ordinal);
            if (closing && attempt < 3) continue;
            if (closing) return;
            // ENOBUFS: the netlink socket's buffer overflowed while the kernel dumped flows (seen once in three
            // matrix runs, and three attempts in a row once under CI's load): the dump is asked for again.
            var overflowed = result.Stderr.Contains("No buffer space available", StringComparison.Ordinal);
            if (overflowed && attempt < 6)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt), ct);
                continue;
            }
            if (overflowed && !required) return;
            throw NetTool.Failed(NetTool.Ip, args, result);
        }
    }
}

/// <summary>A flow conntrack remembers: the application's port, its TCP state, and how long until it is forgotten if idle.</summary>
internal sealed record TrackedFlow(int ClientPort, string State, TimeSpan Remaining);
