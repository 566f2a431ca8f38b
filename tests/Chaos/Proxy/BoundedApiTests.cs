using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Chaos.Harness.Proxy;
using Chaos.Tests.Proxy.Support;
using FluentAssertions;
using NUnit.Framework;

namespace Chaos.Tests.Proxy;

/// <summary>
/// The API stays bounded and answers 4xx where it used to answer 500 or hold on to memory
/// (issue 17 item 7). Host names that cannot resolve are ones .NET refuses before any lookup
/// (over 255 characters), so these tests send nothing to a DNS server.
/// </summary>
public class BoundedApiTests
{
    private static readonly string Unresolvable = new string('h', 300) + ".invalid";

    [Test]
    public async Task A_listen_host_that_does_not_resolve_is_a_400_on_create_and_nothing_is_created()
    {
        await using var env = await ProxyEnvironment.StartAsync();

        var response = await env.Http.SendAsync("POST", "/proxies", $$"""{"name":"x","listen":"{{Unresolvable}}:0","upstream":"{{env.Upstream.Address}}"}""", env.Token);

        response.Status.Should().Be(400, response.Body);
        response.Json.GetProperty("error").GetString().Should().StartWith("listen tcp: lookup ");
        (await env.Client.GetProxiesAsync(env.Token)).Should().BeEmpty();
    }

    [Test]
    public async Task A_listen_host_that_does_not_resolve_is_a_400_on_update_and_the_proxy_keeps_working()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        var proxy = await env.CreateProxyAsync();
        using var socket = await env.ConnectAsync(proxy);

        var response = await env.Http.SendAsync("POST", $"/proxies/{proxy.Name}", $$"""{"listen":"{{Unresolvable}}:0"}""", env.Token);

        response.Status.Should().Be(400, response.Body);
        await socket.PingAsync(env.Token);
        (await env.Client.GetProxyAsync(proxy.Name, env.Token)).Listen.Should().Be(proxy.Listen);
    }

    [Test]
    public async Task After_a_failed_update_reset_answers_204_and_resets_every_proxy()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        var first = await env.CreateProxyAsync("a");
        await env.CreateProxyAsync("b");
        await env.Client.AddToxicAsync("b", ToxicSpec.Latency(10), env.Token);
        (await env.Http.SendAsync("POST", "/proxies/a", $$"""{"listen":"{{Unresolvable}}:0"}""", env.Token)).Status.Should().Be(400);

        var reset = await env.Http.SendAsync("POST", "/reset", null, env.Token);

        reset.Status.Should().Be(204, reset.Body);
        (await env.Client.GetToxicsAsync("b", env.Token)).Should().BeEmpty();
        using var socket = await env.ConnectAsync(first);
        await socket.PingAsync(env.Token);
    }

    [Test]
    public async Task Moving_to_a_port_that_is_taken_is_a_409_and_the_proxy_keeps_its_address_and_connections()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        var proxy = await env.CreateProxyAsync();
        using var socket = await env.ConnectAsync(proxy);
        using var squatter = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        squatter.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        squatter.Listen(1);

        var response = await env.Http.SendAsync("POST", $"/proxies/{proxy.Name}", $$"""{"listen":"127.0.0.1:{{((IPEndPoint)squatter.LocalEndPoint!).Port}}"}""", env.Token);

        response.Status.Should().Be(409, response.Body);
        response.Json.GetProperty("error").GetString().Should().StartWith("listen tcp 127.0.0.1:");
        await socket.PingAsync(env.Token);
        (await env.Http.SendAsync("POST", "/reset", null, env.Token)).Status.Should().Be(204);
    }

    [Test]
    public async Task A_lone_surrogate_in_a_json_string_becomes_U_FFFD_as_in_go()
    {
        await using var env = await ProxyEnvironment.StartAsync();

        var response = await env.Http.SendAsync("POST", "/proxies", $$"""{"name":"a\ud800b","listen":"127.0.0.1:0","upstream":"{{env.Upstream.Address}}"}""", env.Token);

        response.Status.Should().Be(201, response.Body);
        response.Json.GetProperty("name").GetString().Should().Be("a\uFFFDb");
        (await env.Client.GetProxyAsync("a\uFFFDb", env.Token)).Name.Should().Be("a\uFFFDb");
    }

    [Test]
    public async Task A_body_over_the_limit_is_a_413_whether_announced_or_streamed()
    {
        await using var env = await ProxyEnvironment.StartAsync();

        var announced = await RawRequestAsync(env, "POST /proxies HTTP/1.1\r\nHost: x\r\nContent-Length: 31457280\r\n\r\n", null);
        var streamed = await env.Http.SendAsync("POST", "/populate", "[" + string.Join(",", Enumerable.Repeat("{}", 1_100_000)) + "]", env.Token);

        announced.Should().StartWith("HTTP/1.1 413");
        streamed.Status.Should().Be(413);
        streamed.Json.GetProperty("error").GetString().Should().Be("request body too large");
    }

    [Test]
    public async Task Many_concurrent_huge_bodies_are_refused_within_a_memory_bound()
    {
        await using var env = await ProxyEnvironment.StartAsync(deadline: TimeSpan.FromSeconds(60));
        GC.Collect();
        var before = Process.GetCurrentProcess().WorkingSet64;
        var peak = before;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, Process.GetCurrentProcess().WorkingSet64);
                await Task.Delay(20);
            }
        });

        // 32 clients each stream 29 MB of JSON without announcing its length.
        var statuses = await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => StreamHugeBodyAsync(env, 29 * 1024 * 1024)));
        sampling.Cancel();
        await sampler;

        statuses.Should().AllSatisfy(s => s.Should().StartWith("HTTP/1.1 413"));
        (peak - before).Should().BeLessThan(400L * 1024 * 1024, "each body is read to at most 1 MiB, four at a time");
        (await env.Http.SendAsync("GET", "/version", null, env.Token)).Status.Should().Be(200);
    }

    [Test]
    public async Task A_name_with_slashes_can_be_created_addressed_and_deleted()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        var proxy = await env.CreateProxyAsync("a/b/..");
        await env.Client.AddToxicAsync(proxy.Name, ToxicSpec.Latency(1) with { Name = "t/1" }, env.Token);

        (await env.Client.GetProxyAsync("a/b/..", env.Token)).Name.Should().Be("a/b/..");
        (await env.Client.GetToxicAsync("a/b/..", "t/1", env.Token)).Name.Should().Be("t/1");
        await env.Client.DeleteProxyAsync("a/b/..", env.Token);

        (await env.Client.GetProxiesAsync(env.Token)).Should().BeEmpty();
        var connect = async () => await SocketExtensions.ConnectAsync(proxy.ListenPort, env.Token);
        await connect.Should().ThrowAsync<SocketException>("the listener closed with the proxy");
    }

    [TestCase(4096, 201)]
    [TestCase(10_000, 400)]
    [TestCase(100_000, 400)]
    public async Task A_name_is_either_refused_or_addressable(int length, int status)
    {
        await using var env = await ProxyEnvironment.StartAsync();
        var name = new string('n', length);

        var response = await env.Http.SendAsync("POST", "/proxies", $$"""{"name":"{{name}}","listen":"127.0.0.1:0","upstream":"{{env.Upstream.Address}}"}""", env.Token);

        response.Status.Should().Be(status);
        if (status == 201)
        {
            (await env.Client.GetProxyAsync(name, env.Token)).Name.Should().Be(name);
            await env.Client.DeleteProxyAsync(name, env.Token);
        }

        (await env.Client.GetProxiesAsync(env.Token)).Should().BeEmpty("a refused proxy never listens, an addressable one was deleted");
    }

    [TestCase(".")]
    [TestCase("..")]
    public async Task A_name_no_url_can_address_is_refused(string name)
    {
        await using var env = await ProxyEnvironment.StartAsync();

        var response = await env.Http.SendAsync("POST", "/proxies", $$"""{"name":"{{name}}","listen":"127.0.0.1:0","upstream":"{{env.Upstream.Address}}"}""", env.Token);

        response.Status.Should().Be(400);
        (await env.Client.GetProxiesAsync(env.Token)).Should().BeEmpty();
    }

    [TestCase("OPTIONS * HTTP/1.1")]
    [TestCase("GET http://x/proxies HTTP/1.1")]
    [TestCase("GET /proxies/%zz HTTP/1.1")]
    [TestCase("POST /proxies HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n{}")]
    public async Task Odd_requests_get_an_answer_below_500(string requestLine)
    {
        await using var env = await ProxyEnvironment.StartAsync();

        var answer = await RawRequestAsync(env, requestLine + "\r\nHost: x\r\nConnection: close\r\n\r\n", null);

        answer.Should().MatchRegex(@"^HTTP/1\.1 [1-4]\d\d ");
    }

    /// <summary>Sends <paramref name="head"/> (and <paramref name="body"/>) on a raw connection; the status line and headers that come back.</summary>
    private static async Task<string> RawRequestAsync(ProxyEnvironment env, string head, byte[]? body)
    {
        using var socket = await SocketExtensions.ConnectAsync(env.ApiAddress.Port, env.Token);
        await socket.SendAllAsync(Encoding.ASCII.GetBytes(head), env.Token);
        if (body is not null)
        {
            await socket.SendAllAsync(body, env.Token);
        }

        return Encoding.ASCII.GetString((await socket.ReceiveToEndAsync(TimeSpan.FromSeconds(10), env.Token)).Data);
    }

    /// <summary>Streams a chunked body of <paramref name="size"/> bytes until done or the server stops reading; the answer's status line.</summary>
    private static async Task<string> StreamHugeBodyAsync(ProxyEnvironment env, int size)
    {
        using var socket = await SocketExtensions.ConnectAsync(env.ApiAddress.Port, env.Token);
        var reading = socket.ReceiveToEndAsync(TimeSpan.FromSeconds(30), env.Token);
        var chunk = Encoding.ASCII.GetBytes("10000\r\n" + "[" + new string('1', 0xFFFF) + "\r\n");
        try
        {
            await socket.SendAllAsync(Encoding.ASCII.GetBytes("POST /populate HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"), env.Token);
            for (var sent = 0; sent < size && !reading.IsCompleted; sent += 0x10000)
            {
                await socket.SendAllAsync(chunk, env.Token);
            }
        }
        catch (SocketException)
        {
            // The server answered and closed while we were still sending: that is the point.
        }

        return Encoding.ASCII.GetString((await reading).Data);
    }
}
