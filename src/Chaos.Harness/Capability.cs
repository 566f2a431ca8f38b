namespace Chaos.Harness;

/// <summary>
/// What a part of an environment can have done to it. A fault needs capabilities; where the cell's
/// environment lacks one, the cell is <c>not-applicable</c> with <see cref="Capabilities.Missing"/>'s
/// reason: one place for the matrix, the tests and the CLI alike.
/// </summary>
[Flags]
internal enum Capability
{
    None = 0,

    /// <summary>Stop, start, kill and restart the server process.</summary>
    ProcessControl = 1 << 0,

    /// <summary>Suspend and resume the whole server (SIGSTOP/SIGCONT, a paused VM or container).</summary>
    Freeze = 1 << 1,

    /// <summary>Suspend single backends while the rest of the server runs.</summary>
    BackendFreeze = 1 << 2,

    /// <summary>Postmaster-level settings at start: max_connections, idle_session_timeout, synchronous_commit.</summary>
    ServerConfiguration = 1 << 3,

    /// <summary>Byte-level faults on the application's connections: toxics of the fault proxy.</summary>
    Toxics = 1 << 4,

    /// <summary>Take the application's endpoint away and give it back (the fault proxy disabled and enabled).</summary>
    EndpointToggle = 1 << 5,

    /// <summary>The application reaches the server through PgBouncer in transaction mode.</summary>
    TransactionPooler = 1 << 6,

    /// <summary>A primary and a streaming standby: promote, demote, pause replay, move the writer endpoint.</summary>
    Replication = 1 << 7,

    /// <summary>
    /// The kernel network path: the servers run inside a database host (a network namespace of the run's own)
    /// and the application reaches them over a veth link, where nftables rules partition, drop and reset.
    /// </summary>
    KernelNetwork = 1 << 8,
}

/// <summary>Names and reasons for <see cref="Capability"/> sets.</summary>
internal static class Capabilities
{
    /// <summary>
    /// Why a cell that needs <paramref name="needed"/> cannot run where only <paramref name="present"/> exist; null when
    /// nothing is missing. <paramref name="serverBackend"/> (<see cref="Servers.ServerBackend.Name"/>) names who lacks a
    /// server capability: "attached" (and null, for callers that know no backend) says to let the harness start its
    /// own server; any other backend says what it cannot do.
    /// </summary>
    public static string? Missing(Capability needed, Capability present, string? serverBackend = null)
    {
        var missing = needed & ~present;
        if (missing == Capability.None)
        {
            return null;
        }
        // The first missing capability names the fix; one line is what a report cell has room for.
        return Enum.GetValues<Capability>().First(c => c != Capability.None && missing.HasFlag(c)) switch
        {
            var server and (Capability.ProcessControl or Capability.Freeze or Capability.BackendFreeze or Capability.ServerConfiguration) =>
                serverBackend is null or "attached"
                    ? "needs a managed server: the harness is attached to an existing one (CHAOS_PG_ADMIN)"
                    : $"the {BackendWord(serverBackend)} backend cannot {Action(server)}",
            Capability.Toxics or Capability.EndpointToggle => "needs the fault proxy in front of the server",
            Capability.TransactionPooler => "a PgBouncer fault: direct connections keep their session",
            Capability.Replication => serverBackend is "containers"
                ? "needs a primary and a standby: the container backend runs one server per cell (use --servers managed)"
                : "needs a primary and a standby: this fault runs against one server",
            Capability.KernelNetwork => serverBackend is "containers" or "attached"
                ? $"needs the kernel network path, which starts the servers inside a namespace of its own: the {BackendWord(serverBackend)} backend cannot (use --servers managed)"
                : Network.Kernel.KernelNetwork.Support.Reason ?? KernelNetworkFix,
            var other => $"needs {other}",
        };
    }

    /// <summary>The fix when the machine's own answer is not known (the reference machine has the kernel path).</summary>
    internal const string KernelNetworkFix = "needs CAP_NET_ADMIN and CAP_SYS_ADMIN for the kernel network path: run as root, or with sudo";

    private static string BackendWord(string backend) => backend == "containers" ? "container" : backend;

    private static string Action(Capability server) => server switch
    {
        Capability.ProcessControl => "stop, start or kill the server process",
        Capability.Freeze => "freeze the whole server",
        Capability.BackendFreeze => "suspend single backends",
        _ => "set the server's startup settings (max_connections, idle_session_timeout, synchronous_commit)",
    };

    /// <summary>The names of the flags in <paramref name="set"/>, for reports: "ProcessControl, Freeze".</summary>
    public static string Describe(Capability set) =>
        set == Capability.None ? "none" : string.Join(", ", Enum.GetValues<Capability>().Where(c => c != Capability.None && set.HasFlag(c)));
}
