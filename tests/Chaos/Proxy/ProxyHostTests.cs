using Chaos.Harness.Proxy;
using Chaos.Tests.Proxy.Support;
using FluentAssertions;
using NUnit.Framework;

namespace Chaos.Tests.Proxy;

[NonParallelizable]
public class ProxyHostTests
{
    private string? _saved;

    [SetUp]
    public void SaveEnvironment() => _saved = Environment.GetEnvironmentVariable(ProxyHost.UrlVariable);

    [TearDown]
    public void RestoreEnvironment() => Environment.SetEnvironmentVariable(ProxyHost.UrlVariable, _saved);

    [Test]
    public async Task Without_TOXIPROXY_URL_the_host_embeds_a_server_and_stops_it_on_dispose()
    {
        Environment.SetEnvironmentVariable(ProxyHost.UrlVariable, null);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Uri address;
        await using (var host = await ProxyHost.StartAsync(deadline.Token))
        {
            host.IsEmbedded.Should().BeTrue();
            address = host.Client.ApiAddress;
            address.Host.Should().Be("127.0.0.1");
            (await host.Client.GetVersionAsync(deadline.Token)).Should().NotBeEmpty();
        }

        using var probe = new ToxiproxyClient(address);
        var act = async () => await probe.GetVersionAsync(deadline.Token);
        await act.Should().ThrowAsync<HttpRequestException>();
    }

    [Test]
    public async Task With_TOXIPROXY_URL_the_host_attaches_to_that_server()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        Environment.SetEnvironmentVariable(ProxyHost.UrlVariable, env.ApiAddress.ToString());
        await env.CreateProxyAsync("seen");

        await using var host = await ProxyHost.StartAsync(env.Token);

        host.IsEmbedded.Should().BeFalse();
        (await host.Client.GetProxiesAsync(env.Token)).Keys.Should().Contain("seen");
    }

    [Test]
    public async Task An_unreachable_TOXIPROXY_URL_fails_with_one_error_naming_it()
    {
        using var probe = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        probe.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        var url = $"http://127.0.0.1:{((System.Net.IPEndPoint)probe.LocalEndPoint!).Port}";
        Environment.SetEnvironmentVariable(ProxyHost.UrlVariable, url);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var act = () => ProxyHost.StartAsync(deadline.Token);

        (await act.Should().ThrowAsync<Harness.Servers.ServerSetupException>()).Which.Message.Should().Contain(url);
    }
}
