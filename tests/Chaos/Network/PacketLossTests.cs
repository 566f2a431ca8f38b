using System.Diagnostics;
using Chaos.Harness.Network.Kernel;
using FluentAssertions;
using NUnit.Framework;

namespace Chaos.Tests.Network;

public class PacketLossTests : KernelNetworkTest
{
    [Test]
    public async Task Every_byte_of_a_stream_arrives_through_twenty_percent_packet_loss()
    {
        var host = await CreateHostAsync();
        var server = await StartEchoServerAsync(host);
        var client = await ConnectAsync(server.EndPoint);
        var data = new byte[512 * 1024];
        new Random(11).NextBytes(data);

        await host.ApplyAsync(new PacketLoss(20), Timeout);
        var clock = Stopwatch.StartNew();
        var echoed = await client.ExchangeAsync(data, TimeSpan.FromSeconds(45), Timeout);
        var counters = await host.ReadCountersAsync(Timeout);

        TestContext.Out.WriteLine($"{data.Length / 1024} KiB there and back in {clock.Elapsed.TotalSeconds:0.00}s; dropped {counters.InboundTotal} inbound, {counters.OutboundTotal} outbound packets");
        echoed.Should().Equal(data);
        counters.InboundTotal.Should().BeGreaterThan(0);
        counters.OutboundTotal.Should().BeGreaterThan(0);
    }
}
