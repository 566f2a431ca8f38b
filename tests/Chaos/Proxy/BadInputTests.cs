using Chaos.Tests.Proxy.Support;
using FluentAssertions;
using NUnit.Framework;

namespace Chaos.Tests.Proxy;

public class BadInputTests
{
    /// <summary>
    /// Requests Toxiproxy 2.12 refuses (each checked against it): refused here too, with its status,
    /// except that a listen address net.Listen cannot use is its 500 and our 400.
    /// </summary>
    private static readonly (string Method, string Path, string Body, int Status)[] Refused =
    [
        ("POST", "/proxies", "{not json", 400),
        ("POST", "/proxies", "[1,2]", 400),
        ("POST", "/proxies", "\"text\"", 400),
        ("POST", "/proxies", """{"name":7,"upstream":"127.0.0.1:1"}""", 400),
        ("POST", "/proxies", """{"name":"x","upstream":"127.0.0.1:1","enabled":"yes"}""", 400),
        ("POST", "/proxies", """{"name":"x","listen":"127.0.0.1:-5","upstream":"127.0.0.1:1"}""", 400),
        ("POST", "/proxies", """{"name":"x","listen":"no-port","upstream":"127.0.0.1:1"}""", 400),
        ("POST", "/proxies/pg", "{broken", 400),
        ("POST", "/proxies/pg", """{"enabled":1}""", 400),
        ("POST", "/proxies/pg", """{"listen":"no-port"}""", 400),
        ("POST", "/proxies/pg/toxics", "", 400),
        ("POST", "/proxies/pg/toxics", """{"type":"latency","attributes":{"latency":"100"}}""", 400),
        ("POST", "/proxies/pg/toxics", """{"type":"latency","attributes":{"latency":1.5}}""", 400),
        ("POST", "/proxies/pg/toxics", """{"type":"latency","attributes":{"latency":1e40}}""", 400),
        ("POST", "/proxies/pg/toxics", """{"type":"latency","attributes":[1]}""", 400),
        ("POST", "/proxies/pg/toxics", """{"type":"latency","toxicity":"all"}""", 400),
        ("POST", "/proxies/pg/toxics", """{"type":"latency","toxicity":1e40}""", 400),
        ("POST", "/proxies/pg/toxics", """{"type":"latency","toxicity":1e400}""", 400),
        ("POST", "/proxies/pg/toxics", """{"type":"latency","attributes":{"latency":1e400}}""", 400),
        ("POST", "/proxies/pg/toxics", """{"type":"latency","attributes":{"latency":99999999999999999999}}""", 400),
        ("POST", "/proxies/pg/toxics", """{"type":42}""", 400),
        ("POST", "/proxies/pg/toxics", """{"type":"latency","stream":"UP"}""", 400),
        ("POST", "/proxies/pg/toxics/existing", """{"attributes":{"latency":"x"}}""", 400),
        ("POST", "/proxies/pg/toxics/existing", """{"toxicity":"x"}""", 400),
        ("POST", "/proxies/pg/toxics/existing", "nope", 400),
        ("POST", "/proxies/pg/toxics/existing", "[1]", 400),
        ("POST", "/populate", """{"name":"x"}""", 400),
        ("POST", "/populate", """[{"name":"x","upstream":"127.0.0.1:1"}, 5]""", 400),
        ("POST", "/populate", "[{", 400),
    ];

    [Test]
    public async Task Bad_input_gets_toxiproxys_4xx_error_json_and_never_breaks_the_server()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        var proxy = await env.CreateProxyAsync("pg");
        await env.Client.AddToxicAsync("pg", Chaos.Harness.Proxy.ToxicSpec.Latency(1) with { Name = "existing" }, env.Token);
        using var socket = await env.ConnectAsync(proxy);

        foreach (var (method, path, body, status) in Refused)
        {
            var response = await env.Http.SendAsync(method, path, body.Length == 0 ? null : body, env.Token);

            response.Status.Should().Be(status, $"{method} {path} {body} is refused by Toxiproxy ({response.Body})");
            response.Json.GetProperty("status").GetInt32().Should().Be(response.Status);
            response.Json.GetProperty("error").GetString().Should().MatchRegex("^(bad request body|listen tcp): |^stream was invalid", $"{method} {path} {body}");
        }

        // Everything still works: the toxic is unchanged and the connection still passes bytes.
        (await env.Client.GetToxicAsync("pg", "existing", env.Token)).Attributes["latency"].Should().Be(1);
        (await env.Client.GetProxiesAsync(env.Token)).Keys.Should().Equal("pg");
        await socket.PingAsync(env.Token);
    }

    [Test]
    public async Task Unknown_paths_and_methods_get_mux_answers()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        await env.CreateProxyAsync("pg");

        var notFound = await env.Http.SendAsync("GET", "/proxies/pg/toxics/existing/extra", null, env.Token);
        var methodNotAllowed = await env.Http.SendAsync("PUT", "/proxies", null, env.Token);

        notFound.Status.Should().Be(404);
        notFound.Body.Should().Be("404 page not found\n");
        methodNotAllowed.Status.Should().Be(405);
        methodNotAllowed.Body.Should().BeEmpty();
    }

    /// <summary>Requests our proxy refused with 400 but Toxiproxy 2.12 accepts (each checked against it).</summary>
    [TestCase("""{"type":"slicer"}""", "slicer_downstream")]
    [TestCase("""{"type":"latency","attributes":{"latency":-5}}""", "latency_downstream")]
    [TestCase("""{"type":"latency","attributes":{"latency":3600001},"toxicity":0}""", "latency_downstream")]
    [TestCase("""{"type":"latency","toxicity":1.5}""", "latency_downstream")]
    [TestCase("""{"type":"latency","toxicity":-0.1}""", "latency_downstream")]
    [TestCase("""{"type":"bandwidth","attributes":{"rate":-10}}""", "bandwidth_downstream")]
    [TestCase("""{"type":"slicer","attributes":{"average_size":0}}""", "slicer_downstream")]
    [TestCase("""{"type":"slicer","attributes":{"average_size":10,"size_variation":20}}""", "slicer_downstream")]
    [TestCase("""{"type":"limit_data","attributes":{"bytes":-1}}""", "limit_data_downstream")]
    [TestCase("""{"type":"timeout","attributes":{"timeout":-1}}""", "timeout_downstream")]
    [TestCase("""{"TYPE":"latency","Attributes":{"LATENCY":7}}""", "latency_downstream")]
    [TestCase("""{"type":"latency","stream":"UPSTREAM"}""", "latency_UPSTREAM")]
    [TestCase("""{"type":"latency"} and then anything""", "latency_downstream")]
    public async Task What_toxiproxy_accepts_is_accepted_and_the_stream_still_flows(string body, string name)
    {
        await using var env = await ProxyEnvironment.StartAsync();
        var proxy = await env.CreateProxyAsync("pg");
        using var socket = await env.ConnectAsync(proxy);

        var response = await env.Http.SendAsync("POST", "/proxies/pg/toxics", body, env.Token);

        response.Status.Should().Be(200, response.Body);
        response.Json.GetProperty("name").GetString().Should().Be(name);
        (await env.Http.SendAsync("GET", $"/proxies/pg/toxics/{name}", null, env.Token)).Status.Should().Be(200);
        if (!body.Contains("limit_data") && !body.Contains("timeout") && !body.Contains("-0.1"))
        {
            // Whatever the odd setting means, bytes still arrive whole and in order.
            await socket.PingAsync(env.Token, size: 64);
        }
    }

    [Test]
    public async Task An_upstream_that_is_no_address_is_accepted_and_its_connections_closed()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        var response = await env.Http.SendAsync("POST", "/proxies", """{"name":"x","listen":"127.0.0.1:0","upstream":"nonsense"}""", env.Token);
        response.Status.Should().Be(201);
        var proxy = await env.Client.GetProxyAsync("x", env.Token);

        using var socket = await env.ConnectAsync(proxy);
        var (data, end, _, _) = await socket.ReceiveToEndAsync(TimeSpan.FromSeconds(5), env.Token);

        data.Should().BeEmpty();
        end.Should().NotBe(StreamEnd.StillOpen);
    }
}
