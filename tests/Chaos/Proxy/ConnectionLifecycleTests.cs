using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Chaos.Harness.Proxy;
using Chaos.Tests.Proxy.Support;
using FluentAssertions;
using NUnit.Framework;

namespace Chaos.Tests.Proxy;

public class ConnectionLifecycleTests
{
    [Test]
    public async Task Disabling_closes_open_connections_and_refuses_new_ones_and_enabling_restores()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        var proxy = await env.CreateProxyAsync();
        using var open = await env.ConnectAsync(proxy);
        await open.PingAsync(env.Token);

        await env.Client.SetEnabledAsync(proxy.Name, false, env.Token);

        var (_, end, _, _) = await open.ReceiveToEndAsync(TimeSpan.FromSeconds(5), env.Token);
        end.Should().Be(StreamEnd.Closed);
        var refused = async () => await SocketExtensions.ConnectAsync(proxy.ListenPort, env.Token);
        (await refused.Should().ThrowAsync<SocketException>()).Which.SocketErrorCode.Should().Be(SocketError.ConnectionRefused);

        var enabled = await env.Client.SetEnabledAsync(proxy.Name, true, env.Token);
        enabled.Listen.Should().Be(proxy.Listen);
        using var again = await env.ConnectAsync(proxy);
        (await again.PingAsync(env.Token)).Should().BeLessThan(TimeSpan.FromSeconds(2));
    }

    [Test]
    public async Task The_connections_field_counts_open_client_connections()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        var proxy = await env.CreateProxyAsync();
        var sockets = new List<Socket>();
        for (var i = 0; i < 3; i++)
        {
            var socket = await env.ConnectAsync(proxy);
            await socket.PingAsync(env.Token);
            sockets.Add(socket);
        }

        (await env.Client.GetOpenConnectionsAsync(proxy.Name, env.Token)).Should().Be(3);

        foreach (var socket in sockets)
        {
            socket.Shutdown(SocketShutdown.Send);
            await socket.ReceiveToEndAsync(TimeSpan.FromSeconds(5), env.Token);
            socket.Dispose();
        }

        await env.WaitUntilAsync(async () => await env.Client.GetOpenConnectionsAsync(proxy.Name, env.Token) == 0, "all connections are counted closed");
    }

    [Test]
    public async Task A_client_half_close_still_gets_the_whole_answer()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        var proxy = await env.CreateProxyAsync();
        using var socket = await env.ConnectAsync(proxy);
        var payload = new byte[300_000];
        Random.Shared.NextBytes(payload);

        var receiving = socket.ReceiveToEndAsync(TimeSpan.FromSeconds(10), env.Token);
        await socket.SendAllAsync(payload, env.Token);
        socket.Shutdown(SocketShutdown.Send);
        var (data, end, _, _) = await receiving;

        data.Should().Equal(payload);
        end.Should().Be(StreamEnd.Closed);
    }

    [Test]
    public async Task An_upstream_that_refuses_closes_the_client_connection_promptly()
    {
        int deadPort;
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            deadPort = ((IPEndPoint)probe.LocalEndPoint!).Port;
        }

        await using var env = await ProxyEnvironment.StartAsync();
        var proxy = await env.Client.CreateProxyAsync(new ProxyConfig("dead", "127.0.0.1:0", $"127.0.0.1:{deadPort}"), env.Token);
        using var socket = await env.ConnectAsync(proxy);

        var (data, end, elapsed, _) = await socket.ReceiveToEndAsync(TimeSpan.FromSeconds(5), env.Token);

        data.Should().BeEmpty();
        end.Should().NotBe(StreamEnd.StillOpen);
        elapsed.Should().BeLessThan(TimeSpan.FromSeconds(2));
    }

    [Test]
    public async Task Changing_the_upstream_restarts_the_proxy_and_drops_its_connections()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        await using var other = TestServer.Echo();
        var proxy = await env.CreateProxyAsync();
        using var old = await env.ConnectAsync(proxy);
        await old.PingAsync(env.Token);

        var updated = await env.Client.UpdateProxyAsync(proxy.Name, new ProxyUpdate(Upstream: other.Address), env.Token);

        updated.Upstream.Should().Be(other.Address);
        (await old.ReceiveToEndAsync(TimeSpan.FromSeconds(5), env.Token)).End.Should().Be(StreamEnd.Closed);
        using var fresh = await env.ConnectAsync(updated);
        await fresh.PingAsync(env.Token);
        other.Connections.Should().Be(1);
    }

    [Test]
    public async Task Changing_listen_moves_the_listener()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        var proxy = await env.CreateProxyAsync();

        var moved = await env.Client.UpdateProxyAsync(proxy.Name, new ProxyUpdate(Listen: "127.0.0.1:0"), env.Token);

        moved.ListenPort.Should().NotBe(proxy.ListenPort);
        using var socket = await env.ConnectAsync(moved);
        await socket.PingAsync(env.Token);
    }

    [Test]
    public async Task Deleting_a_proxy_closes_its_connections_and_listener()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        var proxy = await env.CreateProxyAsync();
        using var socket = await env.ConnectAsync(proxy);
        await socket.PingAsync(env.Token);

        await env.Client.DeleteProxyAsync(proxy.Name, env.Token);

        (await socket.ReceiveToEndAsync(TimeSpan.FromSeconds(5), env.Token)).End.Should().Be(StreamEnd.Closed);
        var connect = async () => await SocketExtensions.ConnectAsync(proxy.ListenPort, env.Token);
        await connect.Should().ThrowAsync<SocketException>();
    }

    [Test]
    public async Task Disposing_the_server_closes_every_listener_and_connection()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var upstream = TestServer.Echo();
        var server = await Toxiproxy.ToxiproxyServer.StartAsync(new Toxiproxy.ToxiproxyServerOptions { Port = 0 }, deadline.Token);
        using var client = new ToxiproxyClient(server.ApiAddress);
        var proxy = await client.CreateProxyAsync(new ProxyConfig("p", "127.0.0.1:0", upstream.Address), deadline.Token);
        using var socket = await SocketExtensions.ConnectAsync(proxy.ListenPort, deadline.Token);
        await socket.PingAsync(deadline.Token);

        var started = Stopwatch.GetTimestamp();
        await server.DisposeAsync();

        Stopwatch.GetElapsedTime(started).Should().BeLessThan(TimeSpan.FromSeconds(5));
        (await socket.ReceiveToEndAsync(TimeSpan.FromSeconds(5), deadline.Token)).End.Should().Be(StreamEnd.Closed);
        var api = async () => await client.GetVersionAsync(deadline.Token);
        await api.Should().ThrowAsync<HttpRequestException>();
    }
}
