using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Chaos.Harness.Servers.Internal;

namespace Chaos.Harness.Network.Kernel;

/// <summary>
/// A database host of the run's own: a network namespace with one veth link to the harness, its own
/// address, and an nft table where faults go. A cell's servers run inside it (<see cref="CommandPrefix"/>),
/// listen on <see cref="Address"/>, and the application reaches them from the harness process.
/// <code>
///   harness (root ns)                                  namespace chaos-&lt;run&gt;-&lt;n&gt;
///   ApplicationAddress/30 on chaos&lt;slot&gt; ══ veth ══ eth0 with Address/30, lo; table inet chaos
/// </code>
/// The slot (and with it the link name and both addresses) is claimed by creating the link: link
/// names are unique machine-wide, so two hosts, of this run or another, can never share a subnet.
/// </summary>
internal sealed partial class DatabaseHost : IAsyncDisposable
{
    // `ip netns add` mounts /var/run/netns on first use; concurrent first calls can stack mounts.
    private static readonly SemaphoreSlim s_namespaceGate = new(1, 1);
    private static readonly SemaphoreSlim s_reapGate = new(1, 1);
    private static bool s_reaped;
    private static readonly HashSet<int> s_claimed = [];
    private static int s_counter;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly int _restingEstablishedTimeout;
    private bool _forgetsIdleFlows;
    private bool _disposed;
    private RunRegistry? _registry;
    private string? _exitKey;

    private DatabaseHost(string runId, string netns, int slot, int restingEstablishedTimeout)
    {
        RunId = runId;
        Namespace = netns;
        Slot = slot;
        _restingEstablishedTimeout = restingEstablishedTimeout;
        CommandPrefix = [NetTool.Ip, "netns", "exec", netns];
    }

    public string RunId { get; }

    /// <summary>The network namespace, <c>chaos-&lt;run-id&gt;-&lt;n&gt;</c> (under /var/run/netns).</summary>
    public string Namespace { get; }

    /// <summary>The database host's address: where its servers listen and the application connects.</summary>
    public IPAddress Address => AddressRange.HostAddress(Slot);

    /// <summary>The harness's end of the link: the source address the servers see.</summary>
    public IPAddress ApplicationAddress => AddressRange.ApplicationAddress(Slot);

    /// <summary>
    /// Prepended to a server's command line to run it inside the host (<c>ip netns exec</c> execs in
    /// place, so the launched pid is still the server's).
    /// </summary>
    public IReadOnlyList<string> CommandPrefix { get; }

    /// <summary>The rule in force, or null when the link is healthy.</summary>
    public NetworkRule? ActiveRule { get; private set; }

    internal int Slot { get; }
    internal string LinkName => AddressRange.LinkName(Slot);

    /// <summary>
    /// Builds a host for a run (<paramref name="runId"/>: the run's directory name under
    /// /dev/shm/chaos-runs, which is how the reaper tells live hosts from leftovers). The first call in a
    /// process reaps what dead runs left behind.
    /// </summary>
    public static async Task<DatabaseHost> CreateAsync(string runId, CancellationToken ct)
    {
        if (!RunIdPattern().IsMatch(runId))
            throw new ArgumentException($"run id '{runId}' must be 1-100 letters, digits, '.', '_' or '-' (it becomes part of a namespace name)", nameof(runId));
        // A host of a run the reaper cannot see alive would be reaped by the next process that looks.
        if (!KernelNetworkReaper.IsRunAlive(runId))
            throw new ArgumentException($"run id '{runId}' names no live run under {RunRegistry.RunsRoot}: use the directory name of this process's RunRegistry run", nameof(runId));
        var support = await KernelNetwork.ProbeAsync(ct);
        if (!support.Available) throw new KernelNetworkException($"cannot build a database host: {support.Reason}");
        await ReapOnceAsync(ct);

        var netns = KernelNetworkReaper.NamespaceName(runId, Interlocked.Increment(ref s_counter));
        await s_namespaceGate.WaitAsync(ct);
        try { await NetTool.RunAsync(NetTool.Ip, ["netns", "add", netns], ct); }
        finally { s_namespaceGate.Release(); }

        int? slot = null;
        try
        {
            // Before the link exists, so its end in the namespace never gets an IPv6 address.
            var resting = await ConnectionTracking.PrepareAsync(netns, ct);
            slot = await ClaimSlotAsync(netns, ct);
            var host = new DatabaseHost(runId, netns, slot.Value, resting);
            await host.WireAsync(ct);
            await host.RegisterForExitAsync(ct);
            return host;
        }
        catch
        {
            // Cleanup must run even when ct is what failed us; each step has its own bound.
            if (slot is { } claimed)
            {
                await KernelNetworkReaper.DeleteLinkAsync(AddressRange.LinkName(claimed), CancellationToken.None);
                lock (s_claimed) s_claimed.Remove(claimed);
            }
            await KernelNetworkReaper.DeleteNamespaceAsync(netns, CancellationToken.None);
            throw;
        }
    }

    /// <summary>
    /// Makes <paramref name="rule"/> the host's only rule, atomically (one nft transaction): the previous
    /// rule's packets stop being dropped in the same instant the new rule's start.
    /// </summary>
    public async Task ApplyAsync(NetworkRule rule, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(rule);
        await _gate.WaitAsync(ct);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var rules = rule.Build();
            // Tracking changes before the drop rules go in, so no flow is judged by the old timeout under the new rule.
            if (rules.ForgetIdleFlowsAfter is { } idle)
            {
                await ConnectionTracking.ForgetIdleFlowsAsync(Namespace, Address, idle, ct);
                _forgetsIdleFlows = true;
            }
            await NftAsync(HostTable.Replace(rules), ct);
            if (rules.ForgetIdleFlowsAfter is null) await RestTrackingAsync(ct);
            ActiveRule = rule;
        }
        finally { _gate.Release(); }
    }

    /// <summary>The heal of every rule: the chains are emptied and connection tracking is back at rest.</summary>
    public async Task ClearAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            await NftAsync(HostTable.Clear(), ct);
            await RestTrackingAsync(ct);
            ActiveRule = null;
        }
        finally { _gate.Release(); }
    }

    /// <summary>
    /// A copy of <paramref name="psi"/> that runs the same program inside the host. Arguments must be in
    /// <see cref="ProcessStartInfo.ArgumentList"/>: nothing is ever quoted through a shell.
    /// </summary>
    public ProcessStartInfo Wrap(ProcessStartInfo psi)
    {
        ArgumentNullException.ThrowIfNull(psi);
        if (psi.UseShellExecute || psi.Arguments.Length > 0)
            throw new ArgumentException("a wrapped process takes its arguments from ArgumentList, with UseShellExecute false", nameof(psi));
        var wrapped = new ProcessStartInfo(CommandPrefix[0])
        {
            UseShellExecute = false,
            WorkingDirectory = psi.WorkingDirectory,
            RedirectStandardInput = psi.RedirectStandardInput,
            RedirectStandardOutput = psi.RedirectStandardOutput,
            RedirectStandardError = psi.RedirectStandardError,
            StandardOutputEncoding = psi.StandardOutputEncoding,
            StandardErrorEncoding = psi.StandardErrorEncoding,
            CreateNoWindow = psi.CreateNoWindow,
        };
        foreach (var a in CommandPrefix.Skip(1).Append(psi.FileName).Concat(psi.ArgumentList)) wrapped.ArgumentList.Add(a);
        wrapped.Environment.Clear();
        foreach (var (key, value) in psi.Environment) wrapped.Environment[key] = value;
        return wrapped;
    }

    /// <summary>A socket created inside the host: bound to <see cref="Address"/>, it is a server of the host's own.</summary>
    internal Task<Socket> OpenSocketAsync(CancellationToken ct) =>
        NamespaceThread.RunAsync(Namespace, () => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp), ct);

    /// <summary>
    /// Destroys every socket of the harness's namespace connected to this host (<c>ss -K</c>, which needs
    /// SOCK_DESTROY in the kernel): each owner sees ECONNABORTED at once. What a deleted fault proxy does to its
    /// connections, for sockets that would otherwise wait out TCP's retransmission backoff. Best effort: a kernel
    /// without SOCK_DESTROY leaves them to TCP.
    /// </summary>
    public async Task DestroyApplicationSocketsAsync(CancellationToken ct)
    {
        if (NetTool.SsPath is not { } ss) return;
        await NetTool.TryRunAsync(ss, ["-K", "-t", "dst", Address.ToString()], ct);
    }

    /// <summary>What the rules actually matched so far.</summary>
    internal async Task<RuleCounters> ReadCountersAsync(CancellationToken ct)
    {
        var result = await NetTool.RunAsync(NetTool.Ip, [.. CommandPrefix.Skip(1), NetTool.Nft, "-j", "list", "table", HostTable.Family, HostTable.Name], ct);
        return HostTable.Counters(result.Stdout);
    }

    /// <summary>The application's flows to this host that connection tracking remembers.</summary>
    internal Task<IReadOnlyList<TrackedFlow>> TrackedFlowsAsync(CancellationToken ct) => ConnectionTracking.ListAsync(Namespace, Address, ct);

    /// <summary>Deletes the link (both ends) and the namespace, after stopping anything still running inside.</summary>
    public async ValueTask DisposeAsync()
    {
        // Cleanup runs even when the caller's token is long cancelled: every step has its own bound.
        await _gate.WaitAsync(CancellationToken.None);
        try
        {
            if (_disposed) return;
            _disposed = true;
            await KernelNetworkReaper.StopProcessesInsideAsync(Namespace, CancellationToken.None);
            await KernelNetworkReaper.DeleteLinkAsync(LinkName, CancellationToken.None);
            await KernelNetworkReaper.DeleteNamespaceAsync(Namespace, CancellationToken.None);
            lock (s_claimed) s_claimed.Remove(Slot);
            if (_exitKey is { } key) _registry?.Unregister(key);
        }
        finally { _gate.Release(); }
    }

    /// <summary>
    /// A run that exits normally or on SIGTERM removes its hosts on the way out, through the same hook
    /// that stops its servers (its servers are stopped there too, so nothing is left inside). Only
    /// SIGKILL leaves a host behind, and the next run reaps it.
    /// </summary>
    private async Task RegisterForExitAsync(CancellationToken ct)
    {
        var registry = await RunRegistry.GetAsync(ct);
        if (Path.GetFileName(registry.RunDir) != RunId) return; // another live run's host: its owner's business
        _registry = registry;
        _exitKey = Path.Combine(registry.RunDir, Namespace);
        registry.Register(_exitKey, RemoveAtExit);
    }

    // Runs from the process-exit hook: synchronous, each step bounded. Whatever still runs inside goes
    // first: once the namespace is unmounted nothing could find it again.
    private void RemoveAtExit()
    {
        var bound = TimeSpan.FromSeconds(2);
        KernelNetworkReaper.StopProcessesInsideAsync(Namespace, CancellationToken.None).GetAwaiter().GetResult();
        NetTool.TryRunAsync(NetTool.Ip, ["link", "del", LinkName], CancellationToken.None, timeout: bound).GetAwaiter().GetResult();
        NetTool.TryRunAsync(NetTool.Ip, ["netns", "del", Namespace], CancellationToken.None, timeout: bound).GetAwaiter().GetResult();
    }

    public override string ToString() => $"database host {Namespace} at {Address} (application side {ApplicationAddress} on {LinkName})";

    private async Task WireAsync(CancellationToken ct)
    {
        // The table first: with its ct rule in place, every flow over the link is tracked from its first packet.
        await NftAsync(HostTable.Create(RunId, Namespace), ct);
        // The root-namespace end: no IPv6 (no link-local noise on the link), the namespace's name as its
        // alias (how the reaper finds a dead run's links), its address, up. On both ends gso_max_segs 1:
        // one packet on the wire is one packet to the rules; otherwise TCP hands a veth 64 KB
        // super-packets and packet-loss would drop some 45 segments at a time.
        NamespaceThread.WriteSysctlIfPresent($"net/ipv6/conf/{LinkName}/disable_ipv6", "1");
        await NetTool.RunAsync(NetTool.Ip, ["-batch", "-"], ct, stdin:
            $"link set dev {LinkName} alias {Namespace} gso_max_segs 1\n" +
            $"addr add {ApplicationAddress}/30 dev {LinkName}\n" +
            $"link set dev {LinkName} up\n");
        await NetTool.RunAsync(NetTool.Ip, ["-n", Namespace, "-batch", "-"], ct, stdin:
            $"link set dev {HostTable.Link} gso_max_segs 1\n" +
            $"addr add {Address}/30 dev {HostTable.Link}\n" +
            $"link set dev {HostTable.Link} up\n" +
            "link set dev lo up\n");
    }

    private static async Task<int> ClaimSlotAsync(string netns, CancellationToken ct)
    {
        var tried = new HashSet<int>();
        while (true)
        {
            int slot;
            lock (s_claimed)
            {
                var existing = KernelNetworkReaper.ListLinks().Select(l => AddressRange.SlotOfLink(l.Name)).OfType<int>().ToHashSet();
                var free = Enumerable.Range(0, AddressRange.Slots).Where(s => !s_claimed.Contains(s) && !existing.Contains(s) && !tried.Contains(s)).ToList();
                if (free.Count == 0)
                    throw new KernelNetworkException(
                        $"all {AddressRange.Slots} database host slots of {AddressRange.Cidr} are taken (links chaos0..chaos{AddressRange.Slots - 1}); " +
                        "dispose hosts, or let the next run reap those of dead runs");
                slot = free[0];
                s_claimed.Add(slot);
            }
            tried.Add(slot);
            // Creating the link is the claim: the kernel refuses a second link of the same name, atomically.
            string[] args = ["link", "add", AddressRange.LinkName(slot), "type", "veth", "peer", "name", HostTable.Link, "netns", netns];
            var result = await NetTool.TryRunAsync(NetTool.Ip, args, ct);
            if (result.ExitCode == 0) return slot;
            lock (s_claimed) s_claimed.Remove(slot);
            if (!result.Stderr.Contains("File exists", StringComparison.Ordinal)) throw NetTool.Failed(NetTool.Ip, args, result);
            // Another process took this slot between our look and our claim: try the next one.
        }
    }

    private async Task RestTrackingAsync(CancellationToken ct)
    {
        if (!_forgetsIdleFlows) return;
        await ConnectionTracking.RestAsync(Namespace, Address, _restingEstablishedTimeout, ct);
        _forgetsIdleFlows = false;
    }

    private Task NftAsync(string script, CancellationToken ct) =>
        NetTool.RunAsync(NetTool.Ip, [.. CommandPrefix.Skip(1), NetTool.Nft, "-f", "-"], ct, stdin: script);

    private static async Task ReapOnceAsync(CancellationToken ct)
    {
        if (s_reaped) return;
        await s_reapGate.WaitAsync(ct);
        try
        {
            if (s_reaped) return;
            await KernelNetworkReaper.ReapAsync(KernelNetworkReaper.IsRunAlive, ct);
            s_reaped = true;
        }
        finally { s_reapGate.Release(); }
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,100}$")]
    private static partial Regex RunIdPattern();
}
