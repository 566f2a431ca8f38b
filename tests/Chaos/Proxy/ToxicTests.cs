using System.Diagnostics;
using System.Net.Sockets;
using Chaos.Harness.Proxy;
using Chaos.Tests.Proxy.Support;
using FluentAssertions;
using NUnit.Framework;

namespace Chaos.Tests.Proxy;

/// <summary>
/// Each toxic measured on real connections. Lower bounds are tight (a toxic must never be
/// faster than promised); upper bounds are loose because the machine is shared.
/// </summary>
public class ToxicTests
{
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(1);

    [TestCase(ToxicStream.Downstream)]
    [TestCase(ToxicStream.Upstream)]
    public async Task Latency_delays_each_direction_by_about_its_amount(ToxicStream stream)
    {
        await using var env = await ProxyEnvironment.StartAsync();
        var proxy = await env.CreateProxyAsync();
        using var socket = await env.ConnectAsync(proxy);
        await socket.PingAsync(env.Token);

        // Added to a connection that is already open: it must apply at once.
        await env.Client.AddToxicAsync(proxy.Name, ToxicSpec.Latency(150, stream: stream), env.Token);

        for (var i = 0; i < 3; i++)
        {
            var rtt = await socket.PingAsync(env.Token);
            rtt.Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(150)).And.BeLessThan(TimeSpan.FromMilliseconds(150) + Slack);
        }
    }

    [Test]
    public async Task Latency_on_both_streams_adds_up()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        var proxy = await env.CreateProxyAsync();
        await env.Client.AddToxicAsync(proxy.Name, ToxicSpec.Latency(100, stream: ToxicStream.Upstream), env.Token);
        await env.Client.AddToxicAsync(proxy.Name, ToxicSpec.Latency(100, 20), env.Token);
        using var socket = await env.ConnectAsync(proxy);

        var rtt = await socket.PingAsync(env.Token);

        rtt.Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(180)).And.BeLessThan(TimeSpan.FromMilliseconds(220) + Slack);
    }

    [Test]
    public async Task Bandwidth_caps_throughput_near_its_rate()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        var proxy = await env.CreateProxyAsync();
        await env.Client.AddToxicAsync(proxy.Name, ToxicSpec.Bandwidth(100), env.Token);
        using var socket = await env.ConnectAsync(proxy);
        var payload = new byte[50_000];
        Random.Shared.NextBytes(payload);

        var started = Stopwatch.GetTimestamp();
        await socket.SendAllAsync(payload, env.Token);
        var echoed = await socket.ReceiveExactlyAsync(payload.Length, env.Token);
        var elapsed = Stopwatch.GetElapsedTime(started);

        echoed.Should().Equal(payload);
        // 50 KB at 100 KB/s is 500 ms.
        elapsed.Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(400)).And.BeLessThan(TimeSpan.FromMilliseconds(500) + Slack + Slack);
    }

    [Test]
    public async Task Black_hole_keeps_the_socket_open_and_passes_no_bytes()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        var proxy = await env.CreateProxyAsync();
        using var socket = await env.ConnectAsync(proxy);
        await socket.PingAsync(env.Token);
        await env.Client.AddToxicAsync(proxy.Name, ToxicSpec.Timeout(0), env.Token);

        await socket.SendAllAsync(new byte[100], env.Token);
        var (data, end, _, _) = await socket.ReceiveToEndAsync(TimeSpan.FromMilliseconds(700), env.Token);

        data.Should().BeEmpty();
        end.Should().Be(StreamEnd.StillOpen);
        (await env.Client.GetOpenConnectionsAsync(proxy.Name, env.Token)).Should().Be(1);
    }

    [Test]
    public async Task Timeout_closes_the_connection_after_about_its_time_and_passes_nothing()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        var proxy = await env.CreateProxyAsync();
        using var socket = await env.ConnectAsync(proxy);
        await socket.PingAsync(env.Token);

        var started = Stopwatch.GetTimestamp();
        await env.Client.AddToxicAsync(proxy.Name, ToxicSpec.Timeout(300), env.Token);
        await socket.SendAllAsync(new byte[100], env.Token);
        var (data, end, _, _) = await socket.ReceiveToEndAsync(TimeSpan.FromSeconds(5), env.Token);
        var elapsed = Stopwatch.GetElapsedTime(started);

        data.Should().BeEmpty();
        end.Should().Be(StreamEnd.Closed);
        elapsed.Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(290)).And.BeLessThan(TimeSpan.FromMilliseconds(300) + Slack);
    }

    [Test]
    public async Task Reset_peer_waits_its_timeout_then_resets_a_new_connection()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        var proxy = await env.CreateProxyAsync();
        await env.Client.AddToxicAsync(proxy.Name, ToxicSpec.ResetPeer(200, ToxicStream.Upstream), env.Token);
        using var socket = await env.ConnectAsync(proxy);

        var started = Stopwatch.GetTimestamp();
        await socket.SendAllAsync(new byte[16], env.Token);
        var (data, end, _, _) = await socket.ReceiveToEndAsync(TimeSpan.FromSeconds(5), env.Token);

        data.Should().BeEmpty();
        end.Should().Be(StreamEnd.Reset);
        Stopwatch.GetElapsedTime(started).Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(190));
    }

    [Test]
    public async Task Limit_data_upstream_lets_the_server_receive_exactly_its_bytes_then_closes()
    {
        await using var env = await ProxyEnvironment.StartAsync(TestServer.Sink());
        var proxy = await env.CreateProxyAsync();
        await env.Client.AddToxicAsync(proxy.Name, ToxicSpec.LimitData(1000, ToxicStream.Upstream), env.Token);
        using var socket = await env.ConnectAsync(proxy);
        var payload = new byte[5000];
        Random.Shared.NextBytes(payload);

        await socket.SendAllAsync(payload, env.Token);
        var (_, end, _, _) = await socket.ReceiveToEndAsync(TimeSpan.FromSeconds(5), env.Token);
        await env.WaitUntilAsync(() => Task.FromResult(!env.Upstream.Received.IsEmpty), "the server saw its connection end");

        end.Should().NotBe(StreamEnd.StillOpen);
        env.Upstream.Received.Single().Should().Equal(payload[..1000]);
    }

    [Test]
    public async Task Limit_data_downstream_delivers_exactly_its_bytes_then_closes()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        var proxy = await env.CreateProxyAsync();
        await env.Client.AddToxicAsync(proxy.Name, ToxicSpec.LimitData(1000), env.Token);
        using var socket = await env.ConnectAsync(proxy);
        var payload = new byte[5000];
        Random.Shared.NextBytes(payload);

        await socket.SendAllAsync(payload, env.Token);
        var (data, end, _, _) = await socket.ReceiveToEndAsync(TimeSpan.FromSeconds(5), env.Token);

        data.Should().Equal(payload[..1000]);
        end.Should().NotBe(StreamEnd.StillOpen);
    }

    [Test]
    public async Task Slicer_delivers_every_byte_in_many_pieces()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        var proxy = await env.CreateProxyAsync();
        await env.Client.AddToxicAsync(proxy.Name, ToxicSpec.Slicer(100, 20, 2000), env.Token);
        using var socket = await env.ConnectAsync(proxy);
        var payload = new byte[5000];
        Random.Shared.NextBytes(payload);

        await socket.SendAllAsync(payload, env.Token);
        socket.Shutdown(SocketShutdown.Send);
        var (data, end, _, reads) = await socket.ReceiveToEndAsync(TimeSpan.FromSeconds(10), env.Token);

        data.Should().Equal(payload);
        end.Should().Be(StreamEnd.Closed);
        reads.Should().BeGreaterThan(10, "about 50 slices 2 ms apart cannot arrive in a few reads");
    }

    [Test]
    public async Task Slow_close_delays_the_close_but_not_the_data()
    {
        var payload = new byte[1000];
        Random.Shared.NextBytes(payload);
        await using var env = await ProxyEnvironment.StartAsync(TestServer.SendThenClose(payload));
        var proxy = await env.CreateProxyAsync();
        await env.Client.AddToxicAsync(proxy.Name, ToxicSpec.SlowClose(500), env.Token);

        var started = Stopwatch.GetTimestamp();
        using var socket = await env.ConnectAsync(proxy);
        var received = await socket.ReceiveExactlyAsync(payload.Length, env.Token);
        var dataAt = Stopwatch.GetElapsedTime(started);
        var (rest, end, _, _) = await socket.ReceiveToEndAsync(TimeSpan.FromSeconds(5), env.Token);
        var closedAt = Stopwatch.GetElapsedTime(started);

        received.Should().Equal(payload);
        rest.Should().BeEmpty();
        end.Should().Be(StreamEnd.Closed);
        closedAt.Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(490)).And.BeLessThan(TimeSpan.FromMilliseconds(500) + Slack);
        dataAt.Should().BeLessThan(closedAt - TimeSpan.FromMilliseconds(200), "data flows while the close is held back");
    }

    [Test]
    public async Task Toxicity_zero_never_applies()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        var proxy = await env.CreateProxyAsync();
        await env.Client.AddToxicAsync(proxy.Name, ToxicSpec.Latency(1000) with { Toxicity = 0 }, env.Token);

        for (var i = 0; i < 10; i++)
        {
            using var socket = await env.ConnectAsync(proxy);
            (await socket.PingAsync(env.Token)).Should().BeLessThan(TimeSpan.FromMilliseconds(900));
        }
    }

    [Test]
    public async Task Removing_a_latency_toxic_delivers_the_delayed_data_at_once()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        var proxy = await env.CreateProxyAsync();
        using var socket = await env.ConnectAsync(proxy);
        await socket.PingAsync(env.Token);
        await env.Client.AddToxicAsync(proxy.Name, ToxicSpec.Latency(10_000), env.Token);
        var payload = new byte[20_000];
        Random.Shared.NextBytes(payload);

        var started = Stopwatch.GetTimestamp();
        await socket.SendAllAsync(payload, env.Token);
        await env.Client.RemoveToxicAsync(proxy.Name, "latency_downstream", env.Token);
        var echoed = await socket.ReceiveExactlyAsync(payload.Length, env.Token);

        echoed.Should().Equal(payload);
        Stopwatch.GetElapsedTime(started).Should().BeLessThan(TimeSpan.FromSeconds(3));
    }

    [Test]
    public async Task Updating_a_toxic_changes_its_effect_on_open_connections()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        var proxy = await env.CreateProxyAsync();
        using var socket = await env.ConnectAsync(proxy);
        await env.Client.AddToxicAsync(proxy.Name, ToxicSpec.Latency(20), env.Token);
        await socket.PingAsync(env.Token);

        await env.Client.UpdateToxicAsync(proxy.Name, "latency_downstream", null, new Dictionary<string, long> { ["latency"] = 250 }, env.Token);

        (await socket.PingAsync(env.Token)).Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(250));
    }

    [Test]
    public async Task Removing_a_slow_toxic_is_prompt_even_when_the_client_is_not_reading()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        var proxy = await env.CreateProxyAsync();
        using var socket = await env.ConnectAsync(proxy);
        await env.Client.AddToxicAsync(proxy.Name, ToxicSpec.Bandwidth(1), env.Token);
        await env.Client.AddToxicAsync(proxy.Name, ToxicSpec.Latency(10, stream: ToxicStream.Downstream) with { Name = "after" }, env.Token);
        var payload = new byte[2_000_000];
        Random.Shared.NextBytes(payload);
        var sending = socket.SendAllAsync(payload, env.Token);

        // Wait until the bandwidth toxic is visibly holding data back (nothing readable yet is fine).
        await env.WaitUntilAsync(() => Task.FromResult(env.Upstream.Connections == 1), "the upstream connection exists");
        using var quick = CancellationTokenSource.CreateLinkedTokenSource(env.Token);
        quick.CancelAfter(TimeSpan.FromSeconds(5));
        await env.Client.RemoveToxicAsync(proxy.Name, "bandwidth_downstream", quick.Token);
        await env.Client.RemoveToxicAsync(proxy.Name, "after", quick.Token);

        var echoed = await socket.ReceiveExactlyAsync(payload.Length, env.Token);
        await sending;
        echoed.Should().Equal(payload);
    }
}
