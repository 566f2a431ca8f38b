using Chaos.Harness.Profiles.Policies;
using Chaos.Harness.Drivers.EfCore;
using Chaos.Harness.Expectations;
using Chaos.Harness.Proxy;
using Chaos.Harness.Scenarios;
using static Chaos.Harness.Checking.Verdict;

namespace Chaos.Harness.Faults;

/// <summary>
/// A serverless database suspends after an idle period: every connection is dropped, and requests that
/// come while it sleeps are refused until it wakes, with a slow first connect, and is healthy again.
/// Suspending when idle is what such databases do, and it keeps the verdict free of a race with a
/// COMMIT that happened to be in flight (commit-ack-lost covers that).
/// </summary>
internal sealed class ScaleToZero : IFault
{
    private static readonly TimeSpan Suspended = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Waking = TimeSpan.FromSeconds(1);
    private const long WakeLatencyMs = 500;

    public string Name => "scale-to-zero";
    public string Description => $"Suspend: all connections dropped and refused for {Suspended.TotalSeconds:0} s; wake with {WakeLatencyMs} ms latency for {Waking.TotalSeconds:0} s.";

    public Scenario Scenario { get; } = Scenario.Of(
        new Pause(),
        new Inject(Nemesis.Of(Capability.EndpointToggle | Capability.Toxics, async (target, ct) =>
        {
            await target.Proxy.SetEnabledAsync(false, ct);
            return new Injection("suspended while idle: connections dropped, new ones refused", "awake", async token =>
            {
                // Waking is part of the heal: connections are accepted again, slowly, for a while.
                await target.AddToxicAsync(ToxicSpec.Latency(WakeLatencyMs, 0, ToxicStream.Downstream) with { Name = "waking" }, token);
                await target.Proxy.SetEnabledAsync(true, token);
                target.Note("waking: connections accepted, slowly");
                await Task.Delay(Waking, token);
                await target.Proxy.ClearAsync(token);
            });
        })),
        new Resume(),
        new Hold(Suspended),
        new Heal());

    public ExpectationRules Expected { get; } = ExpectationRules
        .Otherwise(Recovered, "while the database is suspended every connection is refused; no client setting can make a request succeed until it wakes")
        .When(t => t.Retries, Recovered, $"the database stays suspended for {Suspended.TotalSeconds:0} s, longer than the retries' {RetryBackoff.Total.TotalSeconds:0.#} s of backoff (EF Core's strategy: at most {ScaledRetryingStrategy.MaxTotalBackoff.TotalSeconds:0.#} s)");
}
