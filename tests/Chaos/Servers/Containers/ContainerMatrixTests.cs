using System.Collections.Concurrent;
using Chaos.Harness;
using Chaos.Harness.Checking;
using Chaos.Harness.Faults;
using Chaos.Harness.Matrix;
using Chaos.Harness.Profiles;
using Chaos.Harness.Proxy;
using Chaos.Harness.Servers;
using FluentAssertions;
using NUnit.Framework;

namespace Chaos.Tests.Servers.Containers;

/// <summary>
/// The survival matrix on containers, a representative profile or two per fault, asserted equal to the verdicts
/// measured with child processes (<see cref="ExpectedMatrix"/>): the container backend must not change what a
/// fault does to the application. Every cell runs once, side by side, the first time any of them is asked for.
/// </summary>
[Category("containers")]
[NonParallelizable]
public class ContainerMatrixTests
{
    /// <summary>
    /// Cells run at once. Fewer than the matrix's default: a container costs more CPU than a child process (initdb
    /// at every start, docker-proxy copying every byte), and on 2 loaded cores eight at once stretched
    /// connection-limit's burst until its sessions no longer overlapped (survived instead of recovered).
    /// </summary>
    private const int Parallelism = 5;

    /// <summary>
    /// Two profiles (npgsql-defaults, retry-idempotent) for every fault that needs a server capability, which is what
    /// the container backend provides differently; one for the faults made by SQL on the server or by the fault proxy
    /// alone, where the server is only the upstream; PgBouncer where the fault is PgBouncer's or meets a restarting
    /// container; command-timeout where the semantics of a paused container decide the verdict.
    /// </summary>
    public static IEnumerable<(string Fault, string Profile)> Pairs()
    {
        const Capability server = Capability.ProcessControl | Capability.Freeze | Capability.BackendFreeze | Capability.ServerConfiguration;
        foreach (var fault in FaultCatalog.All)
        {
            if ((fault.Needs & (Capability.Replication | Capability.KernelNetwork)) != Capability.None)
            {
                // The container backend runs no standby and no namespace of the harness's: Faults_containers_cannot_run_say_why.
                continue;
            }
            if (fault.Name == "session-state-loss")
            {
                yield return (fault.Name, "pooled-via-pgbouncer");
            }
            else if ((fault.Needs & server) == Capability.None)
            {
                yield return (fault.Name, fault.Name is "commit-ack-lost" or "tcp-reset-mid-transaction" or "backend-killed-mid-transaction" ? "retry-idempotent" : "npgsql-defaults");
            }
            else
            {
                yield return (fault.Name, "npgsql-defaults");
                yield return (fault.Name, "retry-idempotent");
            }
        }
        yield return ("server-freeze", "command-timeout");
        yield return ("server-restart", "pooled-via-pgbouncer");
    }

    /// <summary>
    /// <see cref="Pairs"/> in the order they run: the cells that stop and start containers spread over the waves,
    /// because the engine's stops and starts slow each other down (iptables, veths, docker-proxy), and a restart
    /// stretched that way is what the expectations were not measured with.
    /// </summary>
    private static IEnumerable<(string Fault, string Profile)> RunOrder()
    {
        var all = Pairs().ToList();
        var stopping = new Queue<(string Fault, string Profile)>(all.Where(p => p.Fault is "server-restart" or "server-crash"));
        var others = new Queue<(string Fault, string Profile)>(all.Where(p => p.Fault is not ("server-restart" or "server-crash")));
        for (var slot = 0; stopping.Count + others.Count > 0; slot++)
        {
            yield return (slot % Parallelism == 0 && stopping.Count > 0) || others.Count == 0 ? stopping.Dequeue() : others.Dequeue();
        }
    }

    public static IEnumerable<TestCaseData> Cells() =>
        Pairs().Select(p => new TestCaseData(p.Fault, p.Profile).SetName($"{p.Fault.Replace('-', '_')}__{p.Profile.Replace('-', '_')}__on_containers").SetCategory(p.Fault));

    [TestCaseSource(nameof(Cells))]
    public async Task Cell_on_containers_gets_the_child_process_verdict(string fault, string profile)
    {
        await Docker.RequireAsync();
        var expected = ExpectedMatrix.For(fault, profile)!;

        var cell = await ContainerCells.GetAsync(fault, profile);

        await TestContext.Out.WriteLineAsync($"{cell.Judgement.Verdict.ToWire()} in {cell.DurationMs / 1000:0.0} s: {cell.Judgement.Reason}");
        foreach (var e in cell.Timeline.Where(e => e.Kind is "fault" or "heal" or "error"))
        {
            await TestContext.Out.WriteLineAsync($"  {e.AtMs,8:0} {e.Kind,-6} {e.Detail} {e.SqlState}");
        }
        cell.Expected.Should().Be(expected, "containers have every capability of the reference backend, so the expectation applies");
        if (RestartOutlastsTheBackoff(fault, profile, cell) is { } outage)
        {
            // The one explained disagreement: a child process restarts in about 0.15 s; a container restart (docker
            // stop, docker start: network namespace, veth, iptables, docker-proxy) took 0.5 to 1 s here alone and up
            // to 7 s with other containers restarting beside it on 2 loaded cores. Longer than the retries' backoff,
            // it is recovered; longer than the hang threshold less the time before the strike, the transaction held
            // at the hook while the restart runs is hung.
            var why = $"the container was down for {outage.TotalSeconds:0.00} s, longer than the retries' {Backoff.TotalSeconds:0.0} s of backoff";
            if (cell.Judgement.Verdict == Verdict.Hung)
            {
                outage.Should().BeGreaterThan(Timing.HangAfter - TimeSpan.FromSeconds(2), $"a hung verdict needs a restart near the {Timing.HangAfter.TotalSeconds:0} s hang threshold");
            }
            else
            {
                cell.Judgement.Verdict.Should().Be(Verdict.Recovered, why);
                cell.Judgement.Errors.Should().BeGreaterThan(0);
            }
            await TestContext.Out.WriteLineAsync($"explained: {cell.Judgement.Verdict.ToWire()}, not {expected.Verdict.ToWire()}: {why}");
            return;
        }
        expected.Accepts(cell.Judgement.Verdict).Should().BeTrue(
            $"{fault} x {profile} gets {expected.Verdict.ToWire()}{(expected.Or is { } or ? $" or {or.ToWire()}" : "")} with child processes because {expected.Reason}; on {Docker.Image} it got {cell.Judgement.Verdict.ToWire()}: {cell.Judgement.Reason}");
    }

    /// <summary>
    /// Failover faults need a standby and the kernel faults a namespace of the harness's, neither of which the container
    /// backend runs: the cell says so and how to run it.
    /// </summary>
    [Test]
    public async Task Faults_containers_cannot_run_say_why()
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var proxy = await ProxyHost.StartAsync(bound.Token);
        foreach (var fault in FaultCatalog.All.Where(f => (f.Needs & (Capability.Replication | Capability.KernelNetwork)) != Capability.None))
        {
            var cell = await MatrixRunner.RunCellAsync(fault, ProfileCatalog.Select(["npgsql-defaults"])[0], ServerBackend.Containers("chaos-test/never-started"), proxy.Client, bound.Token);
            cell.Judgement.Verdict.Should().Be(Verdict.NotApplicable, fault.Name);
            cell.Judgement.Reason.Should().Contain("container backend").And.Contain("--servers managed");
        }
    }

    /// <summary>The retrying profiles' backoff: 100 + 200 + 400 ms (RetryBackoff).</summary>
    private static readonly TimeSpan Backoff = TimeSpan.FromMilliseconds(700);

    /// <summary>
    /// For server-restart with a retrying profile that did not survive: how long the restart kept the server down
    /// (fault mark to heal mark), when that is longer than the backoff; null otherwise (the verdict must then be the
    /// child processes'). The margin keeps a restart that barely outlasted the backoff on the side of the rule.
    /// </summary>
    private static TimeSpan? RestartOutlastsTheBackoff(string fault, string profile, CellResult cell)
    {
        if (fault != "server-restart" || !ProfileCatalog.Select([profile])[0].Traits.Retries || cell.Judgement.Verdict == Verdict.Survived) return null;
        var struck = cell.Timeline.FirstOrDefault(e => e.Kind == "fault");
        var healed = cell.Timeline.FirstOrDefault(e => e.Kind == "heal");
        if (struck is null || healed is null) return null;
        var outage = TimeSpan.FromMilliseconds(healed.AtMs - struck.AtMs);
        return outage > Backoff + TimeSpan.FromMilliseconds(100) ? outage : null;
    }

    /// <summary>Runs every pair once, <see cref="Parallelism"/> at a time, each in its own container.</summary>
    private static class ContainerCells
    {
        private static readonly Lazy<Task<IReadOnlyDictionary<(string, string), CellResult>>> All = new(RunAsync);

        public static async Task<CellResult> GetAsync(string fault, string profile) => (await All.Value)[(fault, profile)];

        private static async Task<IReadOnlyDictionary<(string, string), CellResult>> RunAsync()
        {
            // Bounded: the cell watchdog ends any cell, so this only guards the harness itself.
            using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            await using var proxy = await ProxyHost.StartAsync(bound.Token);
            using var slots = new SemaphoreSlim(Parallelism);
            var results = new ConcurrentDictionary<(string, string), CellResult>();
            try
            {
                await Task.WhenAll(RunOrder().Select(async pair =>
                {
                    await slots.WaitAsync(bound.Token);
                    try
                    {
                        results[pair] = await MatrixRunner.RunCellAsync(FaultCatalog.Get(pair.Fault), ProfileCatalog.Select([pair.Profile])[0], Docker.Backend, proxy.Client, bound.Token);
                    }
                    finally { slots.Release(); }
                }));
            }
            catch (ServerSetupException e)
            {
                Assert.Fail(e.Message);
            }
            return results;
        }
    }
}
