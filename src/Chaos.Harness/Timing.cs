namespace Chaos.Harness;

/// <summary>
/// Every time constant of a scenario in one place, scaled from production minutes down to seconds so
/// the whole matrix runs in minutes. The ratios matter more than the values: each fault's window is
/// chosen with a margin of at least a second over the profile setting it is meant to beat (or lose to),
/// so that a loaded 2-core machine cannot flip a verdict.
/// </summary>
/// <remarks>
/// Scenario timeline (one cell):
/// <code>
///   setup ─ warm-up ─┬─ fault ──────────── heal ─┬─ after ──────┬─ drain ─ checks ─ teardown
///                    │   (inject, hold)           │   (recovery   │  (in-flight ops finish
///                    │                            │    must show) │   or are called hung)
///                    FaultAt                      HealAt          StopAt
/// </code>
/// </remarks>
internal static class Timing
{
    /// <summary>Workload before the fault: long enough to warm the pool.</summary>
    public static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(1.5);
    /// <summary>The warm-up also lasts until every worker's first requests succeeded, but no longer than this.</summary>
    public static readonly TimeSpan WarmUpBound = TimeSpan.FromSeconds(10);

    /// <summary>Workload after the heal. The last <see cref="HealthyTail"/> of it must be all successes.</summary>
    public static readonly TimeSpan After = TimeSpan.FromSeconds(3.5);

    /// <summary>Requests invoked in this final window after the heal must all succeed, or the cell failed.</summary>
    public static readonly TimeSpan HealthyTail = TimeSpan.FromSeconds(1.5);

    /// <summary>
    /// How long the idempotent retry keeps asking whether a COMMIT it never heard back from happened, before it
    /// reports the outcome unknown (production: as long as a failover takes). Longer than every outage in the
    /// matrix that leaves a COMMIT unanswered (failover-sync's 2 s detection plus promotion) by seconds, and
    /// short enough that such a request ends well before <see cref="HangAfter"/>.
    /// </summary>
    public static readonly TimeSpan SettleUnknownCommitFor = TimeSpan.FromSeconds(6);
    /// <summary>A request still running this long after it was invoked is hung (production: minutes).</summary>
    public static readonly TimeSpan HangAfter = TimeSpan.FromSeconds(8);

    /// <summary>No cell may take longer; past it the cell is hung and torn down.</summary>
    public static readonly TimeSpan CellWatchdog = TimeSpan.FromSeconds(60);

    /// <summary>An idle period with no requests (production: minutes between bursts).</summary>
    public static readonly TimeSpan IdlePeriod = TimeSpan.FromSeconds(5);

    /// <summary>How long a fault with a duration (black hole, freeze, latency) stays on.</summary>
    public static readonly TimeSpan FaultHold = TimeSpan.FromSeconds(3);

    /// <summary>
    /// The idle timeout of the middlebox in idle-flow-drop and idle-flow-reset (production: Azure's load balancer
    /// and SNAT 4 min, AWS's NLB 350 s, a NAT gateway or firewall 5-60 min). Three times <see cref="TcpKeepaliveSeconds"/>
    /// and <see cref="KeepaliveSeconds"/>, as production's 60 s keepalive sits below those minutes, and below
    /// <see cref="IdlePeriod"/> by two seconds, so every unprotected idle flow is forgotten before requests resume.
    /// </summary>
    public static readonly TimeSpan MiddleboxIdleTimeout = TimeSpan.FromSeconds(3);

    /// <summary>The server's idle_session_timeout for server-idle-timeout (production: e.g. 5-10 min).</summary>
    public static readonly TimeSpan ServerIdleSessionTimeout = TimeSpan.FromSeconds(3);

    /// <summary>Connections older than this are killed in max-connection-age (production: e.g. 30-60 min).</summary>
    public static readonly TimeSpan MaxConnectionAge = TimeSpan.FromSeconds(3);

    /// <summary>Pause between two requests of one simulated worker.</summary>
    public static readonly TimeSpan ThinkTime = TimeSpan.FromMilliseconds(40);

    /// <summary>How often the sampler counts server connections.</summary>
    public static readonly TimeSpan SampleEvery = TimeSpan.FromMilliseconds(100);

    // Profile settings, in the units Npgsql takes (whole seconds).

    /// <summary>Npgsql Keepalive (production: 30-60 s).</summary>
    public const int KeepaliveSeconds = 1;

    /// <summary>TCP keepalive time and interval (production: 60 s / 10 s).</summary>
    public const int TcpKeepaliveSeconds = 1;

    /// <summary>Connection Lifetime, the pool_recycle of Npgsql (production: 5-30 min). Below <see cref="MaxConnectionAge"/>.</summary>
    public const int RecycleSeconds = 2;

    /// <summary>Connection Idle Lifetime (production: 300 s) with a pruning interval of one second.</summary>
    public const int IdleLifetimeSeconds = 1;

    /// <summary>Command Timeout for the command-timeout profile (production: 30 s default, 5-15 s tuned).</summary>
    public const int CommandTimeoutSeconds = 2;

    /// <summary>Host Recheck Seconds of the multihost-recheck profile (Npgsql's default: 10 s).</summary>
    public const int HostRecheckSeconds = 1;

    /// <summary>Timeout (the wait for a pool slot or a new connection) of the bounded profile.</summary>
    public const int CheckoutTimeoutSeconds = 1;
}
