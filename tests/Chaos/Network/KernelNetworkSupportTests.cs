using Chaos.Harness.Network.Kernel;
using FluentAssertions;
using NUnit.Framework;

namespace Chaos.Tests.Network;

public class KernelNetworkSupportTests
{
    private const ulong Root = 0x1fffeffffff; // CapEff of root here

    [Test]
    public void A_root_process_with_every_tool_lacks_nothing()
    {
        KernelNetwork.Missing(Root, hasIp: true, hasNft: true, hasConntrack: true).Should().BeEmpty();
    }

    [Test]
    public void An_unprivileged_process_is_told_to_run_as_root()
    {
        KernelNetwork.Missing(0, hasIp: true, hasNft: true, hasConntrack: true).Should().ContainSingle()
            .Which.Should().Contain("needs CAP_NET_ADMIN").And.Contain("run as root, or with sudo");
        KernelNetwork.Missing(1UL << 12, hasIp: true, hasNft: true, hasConntrack: true).Should().ContainSingle("CAP_NET_ADMIN alone cannot mount a namespace");
    }

    [Test]
    public void Each_missing_tool_is_named_with_the_package_that_brings_it()
    {
        KernelNetwork.Missing(Root, hasIp: false, hasNft: false, hasConntrack: false).Should().Equal(
            "needs ip: apt-get install iproute2",
            "needs nft: apt-get install nftables",
            "needs conntrack (idle-flow faults update tracked flows): apt-get install conntrack");
    }
}
