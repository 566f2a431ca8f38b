using Chaos.Harness.Network.Kernel;
using Chaos.Harness.Servers.Internal;
using FluentAssertions;
using NUnit.Framework;

namespace Chaos.Tests.Network;

public class KernelNetworkReaperTests : KernelNetworkTest
{
    private readonly List<HostHoldingRun> _runs = [];

    [TearDown]
    public void KillRuns()
    {
        foreach (var run in _runs)
        {
            if (!run.Process.HasExited) run.Process.Kill(entireProcessTree: true);
            run.Process.Dispose();
        }
        _runs.Clear();
    }

    [Test]
    public async Task A_host_left_by_a_killed_run_is_removed_by_the_next_reaper_call()
    {
        var ours = await CreateHostAsync();
        var killed = await HostHoldingRun.StartAsync(Timeout);
        _runs.Add(killed);
        (await NetTool.RunAsync(NetTool.Ip, ["netns", "exec", killed.Namespace, NetTool.Nft, "list", "table", "inet", "chaos"], Timeout))
            .Stdout.Should().Contain("drop", "the killed run had a partition in force");

        killed.Process.Kill(); // SIGKILL: no dispose, no exit handler
        await killed.Process.WaitForExitAsync(Timeout);
        File.Exists($"/var/run/netns/{killed.Namespace}").Should().BeTrue("a kill -9'd run leaves its namespace behind");
        Directory.Exists($"/sys/class/net/{killed.Link}").Should().BeTrue();
        ProcessTree.IsAlive(killed.InsidePid).Should().BeTrue();
        KernelNetworkReaper.IsRunAlive(killed.RunId).Should().BeFalse();
        KernelNetworkReaper.IsRunAlive(ours.RunId).Should().BeTrue();

        var reaped = await KernelNetworkReaper.ReapAsync(KernelNetworkReaper.IsRunAlive, Timeout);

        reaped.Should().BeGreaterThanOrEqualTo(1);
        File.Exists($"/var/run/netns/{killed.Namespace}").Should().BeFalse();
        Directory.Exists($"/sys/class/net/{killed.Link}").Should().BeFalse("deleting a veth end deletes the pair");
        ProcessTree.IsAlive(killed.InsidePid).Should().BeFalse("what ran inside the dead run's host is stopped");
        (await NetTool.TryRunAsync(NetTool.Ip, ["netns", "exec", killed.Namespace, NetTool.Nft, "list", "tables"], Timeout))
            .ExitCode.Should().NotBe(0, "the nft table lived in the namespace, and there is no namespace left to hold it");
        File.Exists($"/var/run/netns/{ours.Namespace}").Should().BeTrue("a live run's host is never touched");
        var server = await StartEchoServerAsync(ours);
        (await (await ConnectAsync(server.EndPoint)).ExchangeAsync([7], TimeSpan.FromSeconds(5), Timeout)).Should().Equal([7]);
    }

    [Test]
    public async Task A_terminated_run_removes_its_host_on_the_way_out()
    {
        var run = await HostHoldingRun.StartAsync(Timeout);
        _runs.Add(run);

        Native.Signal(run.Process.Id, UnixSignal.Term);
        await run.Process.WaitForExitAsync(Timeout);

        File.Exists($"/var/run/netns/{run.Namespace}").Should().BeFalse("the run's exit hook deleted its namespace");
        Directory.Exists($"/sys/class/net/{run.Link}").Should().BeFalse();
        ProcessTree.IsAlive(run.InsidePid).Should().BeFalse("what ran inside was stopped first; an unmounted namespace could not be found again");
    }

    [Test]
    public void Namespace_names_carry_the_run_id_and_nothing_else_is_taken_for_one()
    {
        KernelNetworkReaper.RunOf(KernelNetworkReaper.NamespaceName("20261201-192926-7664", 3)).Should().Be("20261201-192926-7664");
        KernelNetworkReaper.RunOf("chaos-x").Should().BeNull();
        KernelNetworkReaper.RunOf("docker-netns").Should().BeNull();
        KernelNetworkReaper.RunOf(null).Should().BeNull();
    }
}
