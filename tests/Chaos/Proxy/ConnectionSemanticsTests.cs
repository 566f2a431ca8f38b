using System.Diagnostics;
using System.Net.Sockets;
using Chaos.Harness.Proxy;
using Chaos.Tests.Proxy.Support;
using FluentAssertions;
using NUnit.Framework;

namespace Chaos.Tests.Proxy;

/// <summary>
/// One test per row of the "Connection semantics" table in toxiproxy/README.md: what happens to
/// connections already open when a toxic is added, updated or removed, and when a proxy is
/// disabled, reset or updated, as Toxiproxy 2.12 does it. Real sockets through the embedded server.
/// </summary>
public class ConnectionSemanticsTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    /// <summary>Long enough that a connection which should stay open would have closed by now if it were going to.</summary>
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(400);

    private static async Task<Socket> OpenAsync(ProxyEnvironment env, ProxyInfo proxy)
    {
        var socket = await env.ConnectAsync(proxy);
        await socket.PingAsync(env.Token);
        return socket;
    }

    private static async Task<StreamEnd> EndAsync(Socket socket, ProxyEnvironment env, TimeSpan? within = null) =>
        (await socket.ReceiveToEndAsync(within ?? Patience, env.Token)).End;

    [Test]
    public async Task A_toxic_added_applies_at_once_to_connections_already_open()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        var proxy = await env.CreateProxyAsync();
        using var socket = await OpenAsync(env, proxy);

        await env.Client.AddToxicAsync(proxy.Name, ToxicSpec.Latency(200), env.Token);

        (await socket.PingAsync(env.Token)).Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(200));
    }

    [Test]
    public async Task Removing_a_latency_toxic_delivers_what_it_held_at_once_and_keeps_the_connection()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        var proxy = await env.CreateProxyAsync();
        using var socket = await OpenAsync(env, proxy);
        await env.Client.AddToxicAsync(proxy.Name, ToxicSpec.Latency(10_000), env.Token);
        var message = new byte[100];
        Random.Shared.NextBytes(message);
        await socket.SendAllAsync(message, env.Token);
        await env.WaitUntilAsync(() => Task.FromResult(socket.Available == 0), "the echo is held");

        var started = Stopwatch.GetTimestamp();
        await env.Client.RemoveToxicAsync(proxy.Name, "latency_downstream", env.Token);

        (await socket.ReceiveExactlyAsync(message.Length, env.Token)).Should().Equal(message);
        Stopwatch.GetElapsedTime(started).Should().BeLessThan(TimeSpan.FromSeconds(3));
        await socket.PingAsync(env.Token);
    }

    [Test]
    public async Task Updating_a_toxic_applies_to_open_connections_and_keeps_them()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        var proxy = await env.CreateProxyAsync();
        using var socket = await OpenAsync(env, proxy);
        await env.Client.AddToxicAsync(proxy.Name, ToxicSpec.Latency(10), env.Token);

        await env.Client.UpdateToxicAsync(proxy.Name, "latency_downstream", null, new Dictionary<string, long> { ["latency"] = 250 }, env.Token);

        (await socket.PingAsync(env.Token)).Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(250));
    }

    [Test]
    public async Task A_timeout_toxic_of_zero_holds_open_connections_open_and_silent()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        var proxy = await env.CreateProxyAsync();
        using var socket = await OpenAsync(env, proxy);

        await env.Client.AddToxicAsync(proxy.Name, ToxicSpec.Timeout(0, ToxicStream.Upstream), env.Token);
        await socket.SendAllAsync(new byte[10], env.Token);

        var (data, end, _, _) = await socket.ReceiveToEndAsync(Quiet, env.Token);
        data.Should().BeEmpty();
        end.Should().Be(StreamEnd.StillOpen);
    }

    [Test]
    public async Task A_timeout_toxic_closes_a_connection_its_time_after_the_last_data_arrived()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        var proxy = await env.CreateProxyAsync();
        using var socket = await OpenAsync(env, proxy);
        await env.Client.AddToxicAsync(proxy.Name, ToxicSpec.Timeout(400, ToxicStream.Upstream), env.Token);

        // Data every 200 ms keeps restarting the 400 ms wait, as Toxiproxy's fresh time.After per select does.
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < 4; i++)
        {
            await socket.SendAllAsync(new byte[1], env.Token);
            await Task.Delay(200, env.Token);
        }

        var lastData = Stopwatch.GetElapsedTime(started) - TimeSpan.FromMilliseconds(200);
        (await EndAsync(socket, env)).Should().Be(StreamEnd.Closed);
        Stopwatch.GetElapsedTime(started).Should().BeGreaterThanOrEqualTo(lastData + TimeSpan.FromMilliseconds(390));
    }

    [Test]
    public async Task Removing_a_timeout_toxic_closes_the_connections_it_held()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        var proxy = await env.CreateProxyAsync();
        using var held = await OpenAsync(env, proxy);
        using var idle = await OpenAsync(env, proxy);
        await env.Client.AddToxicAsync(proxy.Name, ToxicSpec.Timeout(0, ToxicStream.Upstream), env.Token);
        await held.SendAllAsync(new byte[10], env.Token);

        await env.Client.RemoveToxicAsync(proxy.Name, "timeout_upstream", env.Token);

        (await EndAsync(held, env)).Should().Be(StreamEnd.Closed);
        (await EndAsync(idle, env)).Should().Be(StreamEnd.Closed, "the cleanup closes every connection the toxic was on, idle ones too");
        using var fresh = await OpenAsync(env, proxy);
    }

    [Test]
    public async Task Removing_a_timeout_toxic_closes_connections_even_where_its_toxicity_let_data_through()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        var proxy = await env.CreateProxyAsync();
        using var socket = await OpenAsync(env, proxy);
        await env.Client.AddToxicAsync(proxy.Name, ToxicSpec.Timeout(0) with { Toxicity = 0 }, env.Token);
        await socket.PingAsync(env.Token);

        await env.Client.RemoveToxicAsync(proxy.Name, "timeout_downstream", env.Token);

        (await EndAsync(socket, env)).Should().Be(StreamEnd.Closed);
    }

    [Test]
    public async Task Removing_a_timeout_toxic_from_one_stream_only_closes_the_connections()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        var proxy = await env.CreateProxyAsync();
        using var socket = await OpenAsync(env, proxy);
        await env.Client.AddToxicAsync(proxy.Name, ToxicSpec.Timeout(0, ToxicStream.Upstream) with { Name = "up" }, env.Token);
        await env.Client.AddToxicAsync(proxy.Name, ToxicSpec.Timeout(0, ToxicStream.Downstream) with { Name = "down" }, env.Token);

        await env.Client.RemoveToxicAsync(proxy.Name, "down", env.Token);

        (await EndAsync(socket, env)).Should().Be(StreamEnd.Closed);
    }

    [Test]
    public async Task Reset_closes_the_connections_a_timeout_toxic_held()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        var proxy = await env.CreateProxyAsync();
        using var socket = await OpenAsync(env, proxy);
        await env.Client.AddToxicAsync(proxy.Name, ToxicSpec.Timeout(0, ToxicStream.Upstream), env.Token);

        await env.Client.ResetAsync(env.Token);

        (await EndAsync(socket, env)).Should().Be(StreamEnd.Closed);
        (await env.Client.GetToxicsAsync(proxy.Name, env.Token)).Should().BeEmpty();
    }

    [Test]
    public async Task Reset_peer_added_to_an_open_connection_drops_its_data_and_closes_it_with_FIN()
    {
        await using var env = await ProxyEnvironment.StartAsync(TestServer.Sink());
        var proxy = await env.CreateProxyAsync();
        using var socket = await env.ConnectAsync(proxy);
        await socket.SendAllAsync(new byte[5], env.Token);
        await env.WaitUntilAsync(() => Task.FromResult(env.Upstream.Connections == 1), "the upstream connection is open");

        await env.Client.AddToxicAsync(proxy.Name, ToxicSpec.ResetPeer(0, ToxicStream.Upstream), env.Token);
        await socket.SendAllAsync(new byte[7], env.Token);

        (await EndAsync(socket, env)).Should().Be(StreamEnd.Closed, "Toxiproxy sets linger 0 only on links that start with the toxic");
        await env.WaitUntilAsync(() => Task.FromResult(!env.Upstream.Received.IsEmpty), "the server saw its connection end");
        env.Upstream.Received.Single().Length.Should().Be(5, "the data that triggered the reset is dropped");
    }

    [Test]
    public async Task Reset_peer_leaves_other_open_connections_alone_until_they_send()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        var proxy = await env.CreateProxyAsync();
        using var struck = await OpenAsync(env, proxy);
        using var other = await OpenAsync(env, proxy);
        await env.Client.AddToxicAsync(proxy.Name, ToxicSpec.ResetPeer(0, ToxicStream.Upstream), env.Token);

        await struck.SendAllAsync(new byte[1], env.Token);
        (await EndAsync(struck, env)).Should().Be(StreamEnd.Closed);
        await env.Client.RemoveToxicAsync(proxy.Name, "reset_peer_upstream", env.Token);

        await other.PingAsync(env.Token);
    }

    [Test]
    public async Task Reset_peer_present_when_a_connection_opens_resets_it_on_its_first_data()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        var proxy = await env.CreateProxyAsync();
        await env.Client.AddToxicAsync(proxy.Name, ToxicSpec.ResetPeer(0, ToxicStream.Upstream), env.Token);
        using var socket = await env.ConnectAsync(proxy);

        await socket.SendAllAsync(new byte[16], env.Token);

        (await EndAsync(socket, env)).Should().Be(StreamEnd.Reset);
    }

    [Test]
    public async Task A_connection_opened_under_reset_peer_closes_with_RST_even_after_the_toxic_is_gone()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        var proxy = await env.CreateProxyAsync();
        await env.Client.AddToxicAsync(proxy.Name, ToxicSpec.ResetPeer(0, ToxicStream.Upstream), env.Token);
        using var socket = await env.ConnectAsync(proxy);
        await env.WaitUntilAsync(async () => (await env.Client.GetOpenConnectionsAsync(proxy.Name, env.Token) ?? 1) == 1, "the connection is attached");
        await env.Client.RemoveToxicAsync(proxy.Name, "reset_peer_upstream", env.Token);
        await socket.PingAsync(env.Token);

        await env.Client.SetEnabledAsync(proxy.Name, false, env.Token);

        (await EndAsync(socket, env)).Should().Be(StreamEnd.Reset, "linger 0 stays on the sockets for the connection's life");
    }

    [Test]
    public async Task Removing_reset_peer_before_any_data_leaves_the_connection_working()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        var proxy = await env.CreateProxyAsync();
        using var socket = await OpenAsync(env, proxy);
        await env.Client.AddToxicAsync(proxy.Name, ToxicSpec.ResetPeer(0), env.Token);

        await env.Client.RemoveToxicAsync(proxy.Name, "reset_peer_downstream", env.Token);

        await socket.PingAsync(env.Token);
    }

    [Test]
    public async Task Reset_peer_once_triggered_closes_the_connection_even_if_removed_meanwhile()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        var proxy = await env.CreateProxyAsync();
        using var socket = await OpenAsync(env, proxy);
        await env.Client.AddToxicAsync(proxy.Name, ToxicSpec.ResetPeer(600, ToxicStream.Upstream), env.Token);
        await socket.SendAllAsync(new byte[3], env.Token);
        await Task.Delay(100, env.Token);

        var removing = Stopwatch.GetTimestamp();
        await env.Client.RemoveToxicAsync(proxy.Name, "reset_peer_upstream", env.Token);
        if (!env.External)
        {
            Stopwatch.GetElapsedTime(removing).Should().BeLessThan(TimeSpan.FromMilliseconds(400), "our removal does not wait for the reset, unlike Toxiproxy's");
        }

        var (data, end, _, _) = await socket.ReceiveToEndAsync(Patience, env.Token);
        data.Should().BeEmpty("the triggering data was dropped");
        end.Should().Be(StreamEnd.Closed);
    }

    [Test]
    public async Task Limit_data_added_to_an_open_connection_counts_from_when_it_was_added()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        var proxy = await env.CreateProxyAsync();
        using var socket = await env.ConnectAsync(proxy);
        await socket.PingAsync(env.Token, size: 50);

        await env.Client.AddToxicAsync(proxy.Name, ToxicSpec.LimitData(30), env.Token);
        await socket.SendAllAsync(new byte[100], env.Token);

        var (data, end, _, _) = await socket.ReceiveToEndAsync(Patience, env.Token);
        data.Length.Should().Be(30);
        end.Should().Be(StreamEnd.Closed);
    }

    [Test]
    public async Task Limit_data_of_zero_or_less_closes_on_the_first_data_and_passes_nothing()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        var proxy = await env.CreateProxyAsync();
        using var socket = await OpenAsync(env, proxy);
        await env.Client.AddToxicAsync(proxy.Name, ToxicSpec.LimitData(-1), env.Token);

        await Task.Delay(Quiet, env.Token);
        socket.Available.Should().Be(0);
        await socket.SendAllAsync(new byte[10], env.Token);

        var (data, end, _, _) = await socket.ReceiveToEndAsync(Patience, env.Token);
        data.Should().BeEmpty();
        end.Should().Be(StreamEnd.Closed);
    }

    [Test]
    public async Task Updating_limit_data_keeps_the_bytes_already_counted()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        var proxy = await env.CreateProxyAsync();
        using var socket = await env.ConnectAsync(proxy);
        await env.Client.AddToxicAsync(proxy.Name, ToxicSpec.LimitData(100), env.Token);
        await socket.PingAsync(env.Token, size: 60);

        await env.Client.UpdateToxicAsync(proxy.Name, "limit_data_downstream", null, new Dictionary<string, long> { ["bytes"] = 80 }, env.Token);
        await socket.SendAllAsync(new byte[50], env.Token);

        var (data, end, _, _) = await socket.ReceiveToEndAsync(Patience, env.Token);
        data.Length.Should().Be(20);
        end.Should().Be(StreamEnd.Closed);
    }

    [Test]
    public async Task Removing_slow_close_while_it_holds_a_close_closes_at_once()
    {
        await using var env = await ProxyEnvironment.StartAsync(TestServer.SendThenClose([1, 2, 3]));
        var proxy = await env.CreateProxyAsync();
        await env.Client.AddToxicAsync(proxy.Name, ToxicSpec.SlowClose(20_000), env.Token);
        using var socket = await env.ConnectAsync(proxy);
        (await socket.ReceiveExactlyAsync(3, env.Token)).Should().Equal(1, 2, 3);
        (await socket.ReceiveToEndAsync(Quiet, env.Token)).End.Should().Be(StreamEnd.StillOpen);

        await env.Client.RemoveToxicAsync(proxy.Name, "slow_close_downstream", env.Token);

        (await EndAsync(socket, env)).Should().Be(StreamEnd.Closed);
    }

    [Test]
    public async Task Disabling_a_proxy_closes_its_connections_with_FIN()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        var proxy = await env.CreateProxyAsync();
        using var socket = await OpenAsync(env, proxy);

        await env.Client.SetEnabledAsync(proxy.Name, false, env.Token);

        (await EndAsync(socket, env)).Should().Be(StreamEnd.Closed);
    }

    [Test]
    public async Task Updating_listen_to_the_address_it_has_keeps_open_connections()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        var proxy = await env.CreateProxyAsync();
        using var socket = await OpenAsync(env, proxy);

        var same = await env.Client.UpdateProxyAsync(proxy.Name, new ProxyUpdate(Listen: $"localhost:{proxy.ListenPort}", Upstream: proxy.Upstream), env.Token);

        same.Listen.Should().Be(proxy.Listen);
        await socket.PingAsync(env.Token);
        (await env.Client.GetOpenConnectionsAsync(proxy.Name, env.Token)).Should().Be(env.External ? null : 1);
    }

    [Test]
    public async Task Changing_the_listen_address_restarts_the_proxy_and_drops_its_connections()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        var proxy = await env.CreateProxyAsync();
        using var socket = await OpenAsync(env, proxy);

        var moved = await env.Client.UpdateProxyAsync(proxy.Name, new ProxyUpdate(Listen: "127.0.0.1:0"), env.Token);

        moved.ListenPort.Should().NotBe(proxy.ListenPort);
        (await EndAsync(socket, env)).Should().Be(StreamEnd.Closed);
    }

    [Test]
    public async Task Populate_with_an_existing_proxy_written_as_localhost_keeps_it_its_toxics_and_connections()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        var proxy = await env.CreateProxyAsync();
        using var socket = await OpenAsync(env, proxy);
        await env.Client.AddToxicAsync(proxy.Name, ToxicSpec.Latency(1), env.Token);

        var kept = await env.Client.PopulateAsync([new ProxyConfig(proxy.Name, $"localhost:{proxy.ListenPort}", proxy.Upstream)], env.Token);

        kept.Single().Toxics.Should().ContainSingle();
        kept.Single().Listen.Should().Be(proxy.Listen);
        await socket.PingAsync(env.Token);
    }

    [Test]
    public async Task Reset_enables_a_disabled_proxy_on_the_same_address()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        var proxy = await env.CreateProxyAsync();
        await env.Client.SetEnabledAsync(proxy.Name, false, env.Token);

        await env.Client.ResetAsync(env.Token);

        using var socket = await OpenAsync(env, proxy);
    }

    [Test]
    public async Task An_upstream_reset_reaches_the_client_as_FIN()
    {
        await using var env = await ProxyEnvironment.StartAsync(TestServer.ResetOnFirstData());
        var proxy = await env.CreateProxyAsync();
        using var socket = await env.ConnectAsync(proxy);

        await socket.SendAllAsync(new byte[1], env.Token);

        (await EndAsync(socket, env)).Should().Be(StreamEnd.Closed, "Toxiproxy's link ends on the read error and closes the other socket normally");
    }
}
