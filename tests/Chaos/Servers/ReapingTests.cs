using Chaos.Cli;
using System.Diagnostics;
using Chaos.Harness.Servers.Internal;
using Chaos.Tests.Support;
using FluentAssertions;
using NUnit.Framework;

namespace Chaos.Tests.Servers;

/// <summary>
/// Runs are simulated by child processes (`chaos __servers-hold`: start a cluster, print it, wait),
/// because only a separate process can be killed the way a CI job or a Ctrl-C kills a run.
/// </summary>
public class ReapingTests : ServerTest
{
    [Test]
    public async Task A_killed_run_leaves_a_server_that_the_next_run_reaps_on_its_first_cluster()
    {
        var ours = await StartManagedClusterAsync();
        var killed = await StartHoldingRunAsync();
        killed.Process.Kill(); // SIGKILL: no dispose, no process-exit handler
        await killed.Process.WaitForExitAsync(Timeout);
        ProcessTree.IsAlive(killed.PostmasterPid).Should().BeTrue("a kill -9'd run leaves its server running");

        var next = await StartHoldingRunAsync();

        await TestServers.EventuallyAsync(() => !ProcessTree.IsAlive(killed.PostmasterPid), TimeSpan.FromSeconds(10),
            $"the orphaned postmaster {killed.PostmasterPid} to die");
        Directory.Exists(killed.RunDir).Should().BeFalse();
        ProcessTree.IsAlive(next.PostmasterPid).Should().BeTrue();
        (await ours.AdminScalarAsync<int>("SELECT 1", Timeout)).Should().Be(1, "reaping must never touch a live run");
        next.Process.Kill();
        await next.Process.WaitForExitAsync(Timeout);
        (await RunRegistry.ReapOrphansAsync(Timeout)).Should().BeGreaterThanOrEqualTo(1);
        ProcessTree.IsAlive(next.PostmasterPid).Should().BeFalse();
    }

    [Test]
    public async Task A_terminated_run_stops_its_servers_on_the_way_out()
    {
        var run = await StartHoldingRunAsync();

        Native.Signal(run.Process.Id, UnixSignal.Term);

        await run.Process.WaitForExitAsync(Timeout);
        await TestServers.EventuallyAsync(() => !ProcessTree.IsAlive(run.PostmasterPid), TimeSpan.FromSeconds(10),
            $"the postmaster {run.PostmasterPid} of the terminated run to die");
        Directory.Exists(run.ServerDir).Should().BeFalse();
    }

    private sealed record HoldingRun(Process Process, int PostmasterPid, string ServerDir)
    {
        public string RunDir => Path.GetDirectoryName(ServerDir)!;
    }

    private readonly List<Process> _children = [];

    [TearDown]
    public void KillChildren()
    {
        foreach (var child in _children)
        {
            if (!child.HasExited) child.Kill(entireProcessTree: true);
            child.Dispose();
        }
        _children.Clear();
    }

    // `chaos __servers-hold` starts a cluster, prints "pid=.. dir=.. port=..", and waits to be killed.
    private async Task<HoldingRun> StartHoldingRunAsync()
    {
        var harness = Path.Combine(TestContext.CurrentContext.TestDirectory, "chaos.dll");
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        var psi = new ProcessStartInfo(dotnet) { ArgumentList = { harness, ServerHold.Command }, RedirectStandardOutput = true, UseShellExecute = false };
        psi.Environment.Remove("CHAOS_PG_ADMIN");
        var child = Process.Start(psi)!;
        _children.Add(child);
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(Timeout);
        bound.CancelAfter(TimeSpan.FromSeconds(45));
        var line = await child.StandardOutput.ReadLineAsync(bound.Token)
            ?? throw new AssertionException($"the holding run exited (code {(child.HasExited ? child.ExitCode : -1)}) before starting its cluster");
        var fields = line.Split(' ').Select(f => f.Split('=', 2)).ToDictionary(f => f[0], f => f[1]);
        return new HoldingRun(child, int.Parse(fields["pid"]), fields["dir"]);
    }
}
