using Chaos.Harness.Network.Kernel;
using FluentAssertions;
using NUnit.Framework;

namespace Chaos.Tests.Network;

public class OneWayPartitionTests : KernelNetworkTest
{
    [Test]
    public async Task The_server_receives_a_request_but_its_answer_never_arrives()
    {
        var host = await CreateHostAsync();
        var server = await StartEchoServerAsync(host);
        var client = await ConnectAsync(server.EndPoint);
        await client.ExchangeAsync([1], TimeSpan.FromSeconds(5), Timeout);

        await host.ApplyAsync(new OneWayPartition(), Timeout);
        var request = client.ExchangeAsync([2, 3, 4], Timeout);
        await Chaos.Tests.Support.TestServers.EventuallyAsync(() => server.BytesReceived == 4, TimeSpan.FromSeconds(5), "the request to reach the server");
        var answered = await Task.WhenAny(request, Task.Delay(TimeSpan.FromSeconds(1.5), Timeout)) == request;

        answered.Should().BeFalse("the server's answer (and its ACKs) are dropped on the way back");
        (await host.ReadCountersAsync(Timeout)).OutboundTotal.Should().BeGreaterThan(0);
        await host.ClearAsync(Timeout);
        (await request.WaitAsync(TimeSpan.FromSeconds(15), Timeout)).Should().Equal([2, 3, 4], "after the heal the server's retransmission arrives");
    }
}
