using System.Net;
using System.Net.Sockets;
using Chaos.Harness.Network.Kernel;
using Chaos.Tests.Support;
using FluentAssertions;
using NUnit.Framework;

namespace Chaos.Tests.Network;

public class IdleFlowResetTests : KernelNetworkTest
{
    // Generous against the busy flow's 200 ms cadence: a loaded machine stalled that loop for 2.6 s once.
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(4);

    [Test]
    public async Task An_idle_flow_gets_a_reset_and_a_busy_one_does_not()
    {
        var host = await CreateHostAsync();
        var server = await StartEchoServerAsync(host);
        var idle = await ConnectAsync(server.EndPoint);
        var busy = await ConnectAsync(server.EndPoint);
        await idle.ExchangeAsync([1], TimeSpan.FromSeconds(5), Timeout);

        await host.ApplyAsync(new IdleFlowReset(IdleTimeout), Timeout);
        using var stopBusy = CancellationTokenSource.CreateLinkedTokenSource(Timeout);
        var busyExchanges = KeepBusyAsync(busy, stopBusy.Token);
        var port = ((IPEndPoint)idle.LocalEndPoint!).Port;
        await TestServers.EventuallyAsync(async () => !(await host.TrackedFlowsAsync(Timeout)).Any(f => f.ClientPort == port),
            IdleTimeout + TimeSpan.FromSeconds(10), "the idle flow to be forgotten");
        var (error, after) = await Sockets.FailureOfAsync(() => idle.ExchangeAsync([2], TimeSpan.FromSeconds(5), Timeout));
        await stopBusy.CancelAsync();
        var exchanges = await busyExchanges;
        var fresh = await ConnectAsync(server.EndPoint);

        TestContext.Out.WriteLine($"idle flow: {error} after {after.TotalMilliseconds:0} ms; busy flow: {exchanges} exchanges without an error");
        error.Should().Be(SocketError.ConnectionReset);
        after.Should().BeLessThan(TimeSpan.FromSeconds(1), "the middlebox answers at once");
        exchanges.Should().BeGreaterThan(5, "the busy flow was in use all along, and no exchange on it failed");
        (await busy.ExchangeAsync([3], TimeSpan.FromSeconds(2), Timeout)).Should().Equal([3]);
        (await fresh.ExchangeAsync([4], TimeSpan.FromSeconds(2), Timeout)).Should().Equal([4]);
        // One packet, the request; two when the client's tail-loss probe left before the reset came back (a loaded machine).
        (await host.ReadCountersAsync(Timeout)).Inbound[0].Should().BeInRange(1, 2, "the idle flow's request was answered with a reset");
    }

    /// <summary>A request every 200 ms, well inside the idle timeout; returns how many succeeded. Any error fails the test.</summary>
    private static async Task<int> KeepBusyAsync(Socket socket, CancellationToken stop)
    {
        var n = 0;
        try
        {
            while (true)
            {
                await socket.ExchangeAsync([(byte)n], TimeSpan.FromSeconds(2), CancellationToken.None);
                n++;
                await Task.Delay(200, stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return n;
        }
    }
}
