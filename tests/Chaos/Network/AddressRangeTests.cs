using Chaos.Harness.Network.Kernel;
using FluentAssertions;
using NUnit.Framework;

namespace Chaos.Tests.Network;

public class AddressRangeTests
{
    [Test]
    public void Slots_carve_the_range_into_disjoint_subnets_of_four()
    {
        AddressRange.ApplicationAddress(0).ToString().Should().Be("10.250.0.1");
        AddressRange.HostAddress(0).ToString().Should().Be("10.250.0.2");
        AddressRange.HostAddress(1).ToString().Should().Be("10.250.0.6");
        AddressRange.HostAddress(64).ToString().Should().Be("10.250.1.2");
        AddressRange.ApplicationAddress(255).ToString().Should().Be("10.250.3.253");
        AddressRange.HostAddress(255).ToString().Should().Be("10.250.3.254");
        FluentActions.Invoking(() => AddressRange.HostAddress(256)).Should().Throw<ArgumentOutOfRangeException>();
        AddressRange.SlotOfLink("chaos17").Should().Be(17);
        AddressRange.SlotOfLink("chaos017").Should().BeNull("only the names the harness gives count as its links");
        AddressRange.SlotOfLink("eth0").Should().BeNull();
    }

    [Test]
    public void A_route_that_overlaps_the_range_is_named_and_the_harness_s_own_links_are_not()
    {
        const string routes = """
            [
              {"dst":"default","gateway":"192.0.2.1","dev":"eth0"},
              {"dst":"192.0.2.0/24","dev":"eth0","protocol":"kernel","scope":"link"},
              {"dst":"10.250.0.0/30","dev":"chaos0","protocol":"kernel","scope":"link"},
              {"type":"local","dst":"10.250.0.1","dev":"chaos0","table":"local"},
              {"dst":"10.0.0.0/8","dev":"tun0"},
              {"type":"local","dst":"10.250.2.9","dev":"docker0","table":"local"},
              {"dst":"10.251.0.0/16","dev":"wg0"}
            ]
            """;

        AddressRange.Overlaps(routes).Should().Equal("10.0.0.0/8 dev tun0", "10.250.2.9 dev docker0 table local");
        AddressRange.Overlaps("[]").Should().BeEmpty();
    }
}
