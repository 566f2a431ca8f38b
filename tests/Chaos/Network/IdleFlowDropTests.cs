using System.Net;
using System.Net.Sockets;
using Chaos.Harness.Network.Kernel;
using Chaos.Tests.Support;
using FluentAssertions;
using NUnit.Framework;

namespace Chaos.Tests.Network;

public class IdleFlowDropTests : KernelNetworkTest
{
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(2);

    [Test]
    public async Task An_idle_flow_is_forgotten_and_goes_silent_while_a_new_connection_works()
    {
        var host = await CreateHostAsync();
        var server = await StartEchoServerAsync(host);
        var idle = await ConnectAsync(server.EndPoint);
        await idle.ExchangeAsync([1], TimeSpan.FromSeconds(5), Timeout);

        await host.ApplyAsync(new IdleFlowDrop(IdleTimeout), Timeout);
        await UntilForgottenAsync(host, idle);
        var heard = server.BytesReceived;
        var request = idle.ExchangeAsync([2], Timeout);
        var answered = await Task.WhenAny(request, Task.Delay(TimeSpan.FromSeconds(1.5), Timeout)) == request;
        var fresh = await ConnectAsync(server.EndPoint);
        var freshAnswer = await fresh.ExchangeAsync([3], TimeSpan.FromSeconds(5), Timeout);

        answered.Should().BeFalse("a forgotten flow's packets are dropped silently");
        server.BytesReceived.Should().Be(heard + 1, "only the new connection's byte reached the server");
        (await host.ReadCountersAsync(Timeout)).Inbound[0].Should().BeGreaterThan(0, "the request (and its retransmissions) were dropped as invalid");
        freshAnswer.Should().Equal([3]);
        (await host.TrackedFlowsAsync(Timeout)).Should().NotContain(f => f.ClientPort == Port(idle), "forgotten forever: its retransmissions do not bring it back");
    }

    [Test]
    public async Task A_flow_kept_alive_by_tcp_keepalive_probes_below_the_timeout_survives()
    {
        var host = await CreateHostAsync();
        var server = await StartEchoServerAsync(host);
        // The idle flow is the clock: once it is forgotten, the kept-alive one has been idle as long.
        var idle = await ConnectAsync(server.EndPoint);
        var keptAlive = await ConnectAsync(server.EndPoint, s => s.SetKeepalive(idle: 1, interval: 1, count: 5));
        await idle.ExchangeAsync([1], TimeSpan.FromSeconds(5), Timeout);
        await keptAlive.ExchangeAsync([1], TimeSpan.FromSeconds(5), Timeout);

        await host.ApplyAsync(new IdleFlowDrop(IdleTimeout), Timeout);
        await UntilForgottenAsync(host, idle);
        // One more timeout on top, so the kept-alive flow is past it by any measure.
        await Task.Delay(IdleTimeout, Timeout);
        var flows = await host.TrackedFlowsAsync(Timeout);
        var answer = await keptAlive.ExchangeAsync([2], TimeSpan.FromSeconds(2), Timeout);

        flows.Should().Contain(f => f.ClientPort == Port(keptAlive) && f.State == "ESTABLISHED", "every probe (and its ACK) refreshed the flow");
        answer.Should().Equal([2]);
    }

    private static int Port(Socket socket) => ((IPEndPoint)socket.LocalEndPoint!).Port;

    private async Task UntilForgottenAsync(DatabaseHost host, Socket flow)
    {
        var port = Port(flow);
        (await host.TrackedFlowsAsync(Timeout)).Should().Contain(f => f.ClientPort == port, "the host tracked the flow from its first packet");
        await TestServers.EventuallyAsync(async () => !(await host.TrackedFlowsAsync(Timeout)).Any(f => f.ClientPort == port),
            IdleTimeout + TimeSpan.FromSeconds(10), $"the idle flow from port {port} to be forgotten");
    }
}
