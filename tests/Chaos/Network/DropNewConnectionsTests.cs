using System.Net.Sockets;
using Chaos.Harness.Network.Kernel;
using FluentAssertions;
using NUnit.Framework;

namespace Chaos.Tests.Network;

public class DropNewConnectionsTests : KernelNetworkTest
{
    [Test]
    public async Task A_connect_times_out_while_an_established_connection_keeps_working()
    {
        var host = await CreateHostAsync();
        var server = await StartEchoServerAsync(host);
        var established = await ConnectAsync(server.EndPoint);
        await established.ExchangeAsync([1], TimeSpan.FromSeconds(5), Timeout);

        await host.ApplyAsync(new DropNewConnections(), Timeout);
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await using var _ = Own(new SocketLease(socket));
        socket.SetSynRetries(1);
        using var stalls = StallWatch.Start();
        var connect = Sockets.FailureOfAsync(() => socket.ConnectAsync(server.EndPoint, Timeout).AsTask());
        var meanwhile = await established.ExchangeAsync([2], TimeSpan.FromSeconds(2), Timeout);
        var (error, after) = await connect;

        TestContext.Out.WriteLine($"connect failed with {error} after {after.TotalSeconds:0.00}s (worst stall {stalls.Worst.TotalMilliseconds:0} ms)");
        error.Should().Be(SocketError.TimedOut, "the kernel gave up on a SYN nobody answered");
        // TCP_SYNCNT 1 gives a 3 s budget (1 s, then 2 s with exponential backoff).
        // 1 s of slack plus whatever the machine stalled this process: the kernel's timer is punctual, the test may not be.
        after.Should().BeGreaterThan(TimeSpan.FromSeconds(2.5)).And.BeLessThan(TimeSpan.FromSeconds(4) + stalls.Worst);
        meanwhile.Should().Equal([2]);
        // Kernels since 6.10 retry SYNs at linear 1 s intervals first (tcp_syn_linear_timeouts), so within
        // the 3 s budget there are two retries, not one: what counts is that SYNs, and only SYNs, were dropped.
        (await host.ReadCountersAsync(Timeout)).Inbound.Should().ContainSingle().Which.Should().BeInRange(2, 3);
        server.Peers.Should().ContainSingle("only the connection made before the rule was accepted");
    }
}
