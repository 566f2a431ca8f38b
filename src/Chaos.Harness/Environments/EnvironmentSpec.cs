using Chaos.Harness.Poolers;
using Chaos.Harness.Servers;

namespace Chaos.Harness.Environments;

/// <summary>
/// What one environment is made of, before anything starts: the server's settings and, when the
/// application goes through one, PgBouncer's. A fault adjusts what it needs with <c>with</c>.
/// </summary>
internal sealed record EnvironmentSpec
{
    public PostgresOptions Server { get; init; } = new();

    /// <summary>PgBouncer between the network path and the server; null: the application reaches the server itself.</summary>
    public PgBouncerOptions? Pooler { get; init; }

    /// <summary>A streaming standby of the server, and a writer endpoint in front of whichever is primary; null: one server.</summary>
    public StandbySpec? Standby { get; init; }

    /// <summary>
    /// The kernel network path: the server (and PgBouncer) run inside a database host of their own, and the
    /// application connects to the host's address over its veth link, so the kernel decides what it sees when
    /// the link fails. The fault proxy still stands in front of the upstream (on loopback), but the application
    /// does not go through it: a toxic would act on the proxy's sockets, not on the application's.
    /// </summary>
    public bool KernelNetwork { get; init; }

    /// <summary>
    /// PgBouncer in transaction mode, with its retry after a failed server login scaled from 15 s to 1 s
    /// like every other time constant; unscaled, whether clients hang after a restart would depend on
    /// whether PgBouncer happened to try during the few hundred milliseconds the server was down.
    /// </summary>
    public static PgBouncerOptions TransactionPooler { get; } = new()
    {
        Mode = PoolMode.Transaction,
        DefaultPoolSize = 10,
        Settings = new Dictionary<string, string> { ["server_login_retry"] = "1" },
    };

    /// <summary>What the environment can have done to it, known before it starts.</summary>
    public Capability Capabilities(ServerBackend servers) =>
        (servers.Capabilities & ~(Capability.Replication | Capability.KernelNetwork))
        | (KernelNetwork ? servers.Capabilities & Capability.KernelNetwork : Network.ProxyPath.Capabilities)
        | (Pooler is { Mode: PoolMode.Transaction } ? Capability.TransactionPooler : Capability.None)
        | (Standby is not null && servers.Capabilities.HasFlag(Capability.Replication) ? Capability.Replication : Capability.None);
}

/// <summary>A streaming standby beside the primary.</summary>
/// <param name="Synchronous">The primary waits for the standby before it acknowledges a commit.</param>
internal sealed record StandbySpec(bool Synchronous = false);
