using System.Diagnostics;
using Chaos.Harness.Servers.Internal;
using Chaos.Tests.Support;
using FluentAssertions;
using NUnit.Framework;

namespace Chaos.Tests.Servers;

public class ReapingTests : ServerTest
{
    [Test]
    public async Task A_killed_run_leaves_a_server_that_the_next_run_reaps_without_touching_live_runs()
    {
        var ours = await StartManagedClusterAsync();
        var (child, line) = await StartHoldingRunAsync();
        var fields = line.Split(' ').Select(f => f.Split('=', 2)).ToDictionary(f => f[0], f => f[1]);
        var (orphanPid, orphanDir) = (int.Parse(fields["pid"]), fields["dir"]);
        var orphanRun = Path.GetDirectoryName(orphanDir)!;

        child.Kill(); // SIGKILL: no dispose, no process-exit handler
        await child.WaitForExitAsync(Timeout);
        ProcessTree.IsAlive(orphanPid).Should().BeTrue("a kill -9'd run leaves its server running");

        var reaped = await RunRegistry.ReapOrphansAsync(Timeout);

        reaped.Should().BeGreaterThanOrEqualTo(1);
        await TestServers.EventuallyAsync(() => !ProcessTree.IsAlive(orphanPid), TimeSpan.FromSeconds(10), $"the orphaned postmaster {orphanPid} to die");
        Directory.Exists(orphanRun).Should().BeFalse();
        (await ours.AdminScalarAsync<int>("SELECT 1", Timeout)).Should().Be(1, "our own live run must survive the reaping");
        Directory.Exists(ours.Dir).Should().BeTrue();
    }

    // `chaos __servers-hold` starts a cluster, prints "pid=.. dir=.. port=..", and waits to be killed.
    private async Task<(Process Child, string Line)> StartHoldingRunAsync()
    {
        var harness = Path.Combine(TestContext.CurrentContext.TestDirectory, "chaos.dll");
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        var psi = new ProcessStartInfo(dotnet) { ArgumentList = { harness, ServerHold.Command }, RedirectStandardOutput = true, UseShellExecute = false };
        psi.Environment.Remove("CHAOS_PG_ADMIN");
        var child = Process.Start(psi)!;
        try
        {
            using var bound = CancellationTokenSource.CreateLinkedTokenSource(Timeout);
            bound.CancelAfter(TimeSpan.FromSeconds(45));
            var line = await child.StandardOutput.ReadLineAsync(bound.Token)
                ?? throw new AssertionException($"the holding run exited (code {(child.HasExited ? child.ExitCode : -1)}) before starting its cluster");
            return (child, line);
        }
        catch
        {
            child.Kill(entireProcessTree: true);
            throw;
        }
    }
}
