using Chaos.Harness.Network.Kernel;
using FluentAssertions;
using NUnit.Framework;

namespace Chaos.Tests.Network;

public class RuleLifecycleTests : KernelNetworkTest
{
    [Test]
    public async Task Applying_a_rule_replaces_the_previous_one_and_clearing_leaves_nothing_behind()
    {
        var machine = MachineTracking();
        var host = await CreateHostAsync();
        var atRest = await TrackingAsync(host);

        await host.ApplyAsync(new IdleFlowDrop(TimeSpan.FromSeconds(5)), Timeout);
        var idle = await TrackingAsync(host);
        var idleRules = await host.ReadCountersAsync(Timeout);
        await host.ApplyAsync(new PacketLoss(10), Timeout);
        var loss = await TrackingAsync(host);
        var lossRules = await host.ReadCountersAsync(Timeout);
        var active = host.ActiveRule;
        await host.ClearAsync(Timeout);
        var cleared = await host.ReadCountersAsync(Timeout);

        atRest.Should().Be(("1", "432000", "1"), "the kernel's defaults, plus be_liberal so 'invalid' only ever means 'forgotten'");
        idle.Should().Be(("0", "5", "1"), "while idle flows are forgotten, no flow is picked up mid-stream and established flows expire after 5 s");
        (idleRules.Inbound.Count, idleRules.Outbound.Count).Should().Be((1, 1));
        loss.Should().Be(atRest, "a rule that does not need the middlebox puts tracking back at rest");
        (lossRules.Inbound.Count, lossRules.Outbound.Count).Should().Be((1, 1), "the packet-loss rules replaced the idle-flow ones");
        active.Should().Be(new PacketLoss(10));
        (cleared.Inbound.Count, cleared.Outbound.Count).Should().Be((0, 0));
        host.ActiveRule.Should().BeNull();
        MachineTracking().Should().Be(machine, "these sysctls are per namespace: the machine's own are never touched");
    }

    private static (string, string, string) MachineTracking() => (
        NamespaceThread.ReadSysctl("net/netfilter/nf_conntrack_tcp_loose"),
        NamespaceThread.ReadSysctl("net/netfilter/nf_conntrack_tcp_timeout_established"),
        NamespaceThread.ReadSysctl("net/netfilter/nf_conntrack_tcp_be_liberal"));

    private Task<(string Loose, string Established, string Liberal)> TrackingAsync(DatabaseHost host) =>
        NamespaceThread.RunAsync(host.Namespace, () => (
            NamespaceThread.ReadSysctl("net/netfilter/nf_conntrack_tcp_loose"),
            NamespaceThread.ReadSysctl("net/netfilter/nf_conntrack_tcp_timeout_established"),
            NamespaceThread.ReadSysctl("net/netfilter/nf_conntrack_tcp_be_liberal")), Timeout);
}
