using Chaos.Harness.Environments;
using Chaos.Harness.Expectations;
using Chaos.Harness.Network.Kernel;
using Chaos.Harness.Scenarios;
using static Chaos.Harness.Checking.Verdict;

namespace Chaos.Harness.Faults;

/// <summary>
/// New connections' SYNs are dropped while established connections work (a full accept queue, a
/// security-group or firewall change, a load balancer out of ports). A pool that has its connections rides
/// it out; whoever must open one waits for Npgsql's Timeout, because the kernel keeps resending the SYN.
/// </summary>
internal sealed class ConnectTimeout : IFault
{
    // Past the hang threshold: a connect bounded only by Npgsql's default Timeout (15 s) outlives it.
    private static readonly TimeSpan Dropped = Timing.HangAfter + TimeSpan.FromSeconds(1);

    public string Name => "connect-timeout";
    public string Description => $"New connections' SYNs dropped for {Dropped.TotalSeconds:0} s while established connections work.";

    public EnvironmentSpec Environment(EnvironmentSpec spec) => spec with { KernelNetwork = true };

    public Scenario Scenario { get; } = Scenario.Window(Nemesis.Kernel(new DropNewConnections(),
        $"new connections' SYNs dropped for {Dropped.TotalSeconds:0} s; established connections work",
        "SYNs pass again: new connections open"), Dropped);

    public ExpectationRules Expected { get; } = ExpectationRules
        .Otherwise(Survived, "every request runs on a connection the pool opened before; established connections are untouched")
        .When(t => !t.Pooling && t.CheckoutTimeout > Timing.HangAfter, Hung,
            $"every request opens a connection, whose SYNs are dropped; the kernel resends them and Npgsql's Timeout ({Timing.HangAfter.TotalSeconds:0} s and more) lets the request wait past the hang threshold")
        .When(t => t.RecyclesBefore(Dropped) && (t.CheckoutTimeout > Timing.HangAfter || t.Retries), Hung,
            $"Connection Lifetime retires connections during the {Dropped.TotalSeconds:0} s, and the request that must open the next one waits for its SYNs past the hang threshold (Npgsql's Timeout, or the retry's {Profiles.Policies.RetryBackoff.MaxRetryAttempts + 1} connect attempts of Timeout each)")
        .When(t => t.EvictsIdleWithin(TimeSpan.FromSeconds(Timing.IdleLifetimeSeconds + 1)) && t.CheckoutTimeout > Timing.HangAfter, Hung,
            "Connection Idle Lifetime prunes connections the load leaves idle for a moment, and the request that must open a new one waits for its SYNs for Npgsql's Timeout, past the hang threshold");
}
