using System.Diagnostics;
using System.Net.Sockets;
using Chaos.Harness.Network.Kernel;
using FluentAssertions;
using NUnit.Framework;

namespace Chaos.Tests.Network;

public class PartitionTests : KernelNetworkTest
{
    // Keepalive settings of the measurement in issue 11: probes after 1 s idle, every 1 s, dead after 2.
    private const int Idle = 1, Interval = 1, Count = 2;

    /// <summary>On top of the kernel's promise and the measured stalls (<see cref="StallWatch"/>): the test's own steps.</summary>
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(1);

    [Test]
    public async Task A_keepalive_socket_times_out_during_a_partition()
    {
        var host = await CreateHostAsync();
        var server = await StartEchoServerAsync(host);
        var client = await ConnectAsync(server.EndPoint, s => s.SetKeepalive(Idle, Interval, Count));
        await client.ExchangeAsync([1], TimeSpan.FromSeconds(5), Timeout);

        // Timed from before the rule goes in, and the time the rule took to go in allowed for: on a loaded
        // machine starting nft can take longer than the probes themselves.
        using var stalls = StallWatch.Start();
        var clock = Stopwatch.StartNew();
        await host.ApplyAsync(new Partition(), Timeout);
        var applying = clock.Elapsed;
        var (error, _) = await Sockets.FailureOfAsync(async () => await client.ReceiveAsync(new byte[1], SocketFlags.None, Timeout));
        var after = clock.Elapsed;

        TestContext.Out.WriteLine($"ETIMEDOUT {after.TotalSeconds:0.00}s after the partition was asked for ({applying.TotalMilliseconds:0} ms to apply it, worst stall {stalls.Worst.TotalMilliseconds:0} ms)");
        error.Should().Be(SocketError.TimedOut, "unanswered keepalive probes end a connection with ETIMEDOUT");
        // The first unanswered probe goes out at most Idle after the partition, then Count probes Interval apart.
        after.Should().BeGreaterThan(TimeSpan.FromSeconds(Interval * Count) - TimeSpan.FromMilliseconds(100))
            .And.BeLessThan(applying + TimeSpan.FromSeconds(Idle + Interval * Count) + Slack + stalls.Worst);
        (await host.ReadCountersAsync(Timeout)).InboundTotal.Should().BeGreaterThanOrEqualTo(Count, "the probes reached the host and were dropped there");
    }

    [Test]
    public async Task A_blocked_request_completes_after_the_partition_heals()
    {
        var host = await CreateHostAsync();
        var server = await StartEchoServerAsync(host);
        var client = await ConnectAsync(server.EndPoint);
        await client.ExchangeAsync([1], TimeSpan.FromSeconds(5), Timeout);

        await host.ApplyAsync(new Partition(), Timeout);
        var request = client.ExchangeAsync([2], Timeout);
        var blocked = await Task.WhenAny(request, Task.Delay(TimeSpan.FromSeconds(1.5), Timeout)) != request;
        var heardBeforeHeal = server.BytesReceived;
        var clock = Stopwatch.StartNew();
        await host.ClearAsync(Timeout);
        var answer = await request.WaitAsync(TimeSpan.FromSeconds(15), Timeout);

        TestContext.Out.WriteLine($"answered {clock.Elapsed.TotalSeconds:0.00}s after the heal (TCP's next retransmission)");
        blocked.Should().BeTrue("nothing crosses a partition");
        heardBeforeHeal.Should().Be(1, "the request's byte never reached the server during the partition");
        answer.Should().Equal([2]);
        host.ActiveRule.Should().BeNull();
    }

    [Test]
    public async Task A_new_connection_gets_no_answer_during_a_partition()
    {
        var host = await CreateHostAsync();
        var server = await StartEchoServerAsync(host);
        await host.ApplyAsync(new Partition(), Timeout);

        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await using var _ = Own(new SocketLease(socket));
        socket.SetSynRetries(1);
        using var stalls = StallWatch.Start();
        var (error, after) = await Sockets.FailureOfAsync(() => socket.ConnectAsync(server.EndPoint, Timeout).AsTask());

        error.Should().Be(SocketError.TimedOut);
        after.Should().BeGreaterThan(TimeSpan.FromSeconds(2.5)).And.BeLessThan(TimeSpan.FromSeconds(3) + Slack + stalls.Worst);
        server.Peers.Should().BeEmpty();
    }
}

/// <summary>Disposes a raw socket with the test's other resources.</summary>
internal sealed class SocketLease(Socket socket) : IAsyncDisposable
{
    public ValueTask DisposeAsync()
    {
        socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
