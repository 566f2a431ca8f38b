using System.Text.Json;
using Chaos.Harness.Proxy;
using Chaos.Tests.Proxy.Support;
using FluentAssertions;
using NUnit.Framework;

namespace Chaos.Tests.Proxy;

public class ApiConformanceTests
{
    [Test]
    public async Task Creating_a_proxy_on_port_zero_answers_201_with_the_real_port_and_defaults()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        var response = await env.Http.SendAsync("POST", "/proxies",
            $$"""{"name":"pg","listen":"127.0.0.1:0","upstream":"{{env.Upstream.Address}}"}""", env.Token);

        response.Status.Should().Be(201);
        var json = response.Json;
        json.GetProperty("name").GetString().Should().Be("pg");
        json.GetProperty("listen").GetString().Should().MatchRegex(@"^127\.0\.0\.1:\d+$").And.NotEndWith(":0");
        json.GetProperty("upstream").GetString().Should().Be(env.Upstream.Address);
        json.GetProperty("enabled").GetBoolean().Should().BeTrue();
        json.GetProperty("toxics").GetArrayLength().Should().Be(0);
        json.GetProperty("connections").GetInt32().Should().Be(0);
    }

    [Test]
    public async Task A_toxic_gets_default_name_stream_and_toxicity()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        await env.CreateProxyAsync("pg");
        var response = await env.Http.SendAsync("POST", "/proxies/pg/toxics",
            """{"type":"latency","attributes":{"latency":100,"jitter":10}}""", env.Token);

        response.Status.Should().Be(200);
        // Toxiproxy marshals its ToxicWrapper with the attributes first.
        response.Body.Should().Be("""{"attributes":{"latency":100,"jitter":10},"name":"latency_downstream","type":"latency","stream":"downstream","toxicity":1}""");
    }

    [Test]
    public async Task The_same_toxic_twice_is_a_409_with_toxiproxys_error_json_written_as_go_http_error_writes_it()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        await env.CreateProxyAsync("pg");
        await env.Http.SendAsync("POST", "/proxies/pg/toxics", """{"type":"latency","attributes":{"latency":100}}""", env.Token);
        var response = await env.Http.SendAsync("POST", "/proxies/pg/toxics", """{"type":"latency","attributes":{"latency":5}}""", env.Token);

        response.Status.Should().Be(409);
        response.ContentType.Should().Be("text/plain");
        response.Body.Should().Be("{\"error\":\"toxic already exists\",\"status\":409}\n");
    }

    [TestCase("GET", "/proxies/nope", null, 404, "proxy not found")]
    [TestCase("DELETE", "/proxies/nope", null, 404, "proxy not found")]
    [TestCase("GET", "/proxies/nope/toxics", null, 404, "proxy not found")]
    [TestCase("GET", "/proxies/pg/toxics/nope", null, 404, "toxic not found")]
    [TestCase("DELETE", "/proxies/pg/toxics/nope", null, 404, "toxic not found")]
    [TestCase("POST", "/proxies/pg/toxics/nope", """{"toxicity":0.5}""", 404, "toxic not found")]
    [TestCase("POST", "/proxies", """{"name":"x","listen":"127.0.0.1:0"}""", 400, "missing required field: upstream")]
    [TestCase("POST", "/proxies", """{"upstream":"127.0.0.1:1"}""", 400, "missing required field: name")]
    [TestCase("POST", "/proxies/pg/toxics", """{"type":"latency","stream":"sideways"}""", 400, "stream was invalid, can be either upstream or downstream")]
    [TestCase("POST", "/proxies/pg/toxics", """{"type":"explode"}""", 400, "invalid toxic type")]
    public async Task Errors_carry_toxiproxys_status_and_message(string method, string path, string? body, int status, string message)
    {
        await using var env = await ProxyEnvironment.StartAsync();
        await env.CreateProxyAsync("pg");
        var response = await env.Http.SendAsync(method, path, body, env.Token);

        response.Status.Should().Be(status);
        response.Json.GetProperty("error").GetString().Should().Be(message);
        response.Json.GetProperty("status").GetInt32().Should().Be(status);
    }

    [Test]
    public async Task A_second_proxy_with_the_same_name_is_a_409()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        await env.CreateProxyAsync("pg");
        var act = () => env.CreateProxyAsync("pg");

        (await act.Should().ThrowAsync<ToxiproxyException>())
            .Which.Should().Match<ToxiproxyException>(e => e.Status == 409 && e.ServerMessage == "proxy already exists");
    }

    [Test]
    public async Task A_browser_user_agent_is_refused_with_403_in_plain_text()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        var response = await env.Http.SendAsync("GET", "/proxies", null, env.Token, userAgent: "Mozilla/5.0 (X11; Linux x86_64)");

        response.Status.Should().Be(403);
        response.ContentType.Should().Be("text/plain");
        response.Body.Should().Be("User agent not allowed\n");
        (await env.Http.SendAsync("GET", "/proxies", null, env.Token, userAgent: "curl/8.0")).Status.Should().Be(200);
    }

    [Test]
    public async Task Version_is_the_json_toxiproxy_2_12_writes()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        var response = await env.Http.SendAsync("GET", "/version", null, env.Token);

        response.Status.Should().Be(200);
        response.ContentType.Should().Be("application/json");
        response.Body.Should().Be("{\"version\": \"2.12.0\"}\n");
        (await env.Client.GetVersionAsync(env.Token)).Should().Be(Toxiproxy.ToxiproxyServer.Version);
    }

    [Test]
    public async Task The_client_round_trips_every_proxy_and_toxic_call()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        var client = env.Client;
        var ct = env.Token;
        var created = await client.CreateProxyAsync(new ProxyConfig("pg", "127.0.0.1:0", env.Upstream.Address), ct);
        created.ListenPort.Should().BePositive();
        created.Connections.Should().Be(0);

        var toxic = await client.AddToxicAsync("pg", ToxicSpec.Latency(50, 5, ToxicStream.Upstream) with { Name = "slow", Toxicity = 0.5 }, ct);
        toxic.Should().BeEquivalentTo(new ToxicInfo("slow", "latency", ToxicStream.Upstream, 0.5,
            new Dictionary<string, long> { ["latency"] = 50, ["jitter"] = 5 }));

        var updated = await client.UpdateToxicAsync("pg", "slow", null, new Dictionary<string, long> { ["latency"] = 80 }, ct);
        updated.Attributes.Should().Equal(new Dictionary<string, long> { ["latency"] = 80, ["jitter"] = 5 });
        updated.Toxicity.Should().Be(0.5);
        (await client.UpdateToxicAsync("pg", "slow", 1.0, null, ct)).Toxicity.Should().Be(1.0);

        (await client.GetToxicAsync("pg", "slow", ct)).Attributes["latency"].Should().Be(80);
        (await client.GetToxicsAsync("pg", ct)).Select(t => t.Name).Should().Equal("slow");
        (await client.GetProxyAsync("pg", ct)).Toxics.Select(t => t.Name).Should().Equal("slow");
        (await client.GetProxiesAsync(ct)).Keys.Should().Equal("pg");

        (await client.SetEnabledAsync("pg", false, ct)).Enabled.Should().BeFalse();
        await client.ResetAsync(ct);
        var reset = await client.GetProxyAsync("pg", ct);
        reset.Enabled.Should().BeTrue();
        reset.Toxics.Should().BeEmpty();
        reset.ListenPort.Should().Be(created.ListenPort, "enabling listens again on the same address");

        await client.AddToxicAsync("pg", ToxicSpec.Timeout(0), ct);
        await client.RemoveToxicAsync("pg", "timeout_downstream", ct);
        (await client.GetToxicsAsync("pg", ct)).Should().BeEmpty();

        await client.DeleteProxyAsync("pg", ct);
        (await client.GetProxiesAsync(ct)).Should().BeEmpty();
        var act = () => client.GetProxyAsync("pg", ct);
        (await act.Should().ThrowAsync<ToxiproxyException>()).Which.Status.Should().Be(404);
    }

    [Test]
    public async Task Populate_creates_keeps_identical_and_replaces_changed_proxies()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        await using var other = TestServer.Echo();
        var ct = env.Token;
        var first = await env.Client.PopulateAsync(
            [new ProxyConfig("a", "127.0.0.1:0", env.Upstream.Address), new ProxyConfig("b", "127.0.0.1:0", env.Upstream.Address, Enabled: false)], ct);
        first.Select(p => (p.Name, p.Enabled)).Should().Equal(("a", true), ("b", false));

        var a = first[0];
        await env.Client.AddToxicAsync("a", ToxicSpec.Latency(10), ct);
        var second = await env.Client.PopulateAsync(
            [new ProxyConfig("a", a.Listen, env.Upstream.Address), new ProxyConfig("b", "127.0.0.1:0", other.Address)], ct);

        second[0].Toxics.Should().ContainSingle("an identical proxy is kept as it is");
        second[1].Upstream.Should().Be(other.Address);
        (await env.Client.GetProxiesAsync(ct)).Keys.Should().BeEquivalentTo("a", "b");

        var raw = await env.Http.SendAsync("POST", "/populate", $$"""[{"name":"c","listen":"127.0.0.1:0","upstream":"{{env.Upstream.Address}}"}]""", ct);
        raw.Status.Should().Be(201);
        raw.Json.GetProperty("proxies").EnumerateArray().Single().GetProperty("name").GetString().Should().Be("c");

        var missing = await env.Http.SendAsync("POST", "/populate", """[{"name":"d","listen":"127.0.0.1:0"}]""", ct);
        missing.Status.Should().Be(400);
        missing.Json.GetProperty("error").GetString().Should().Be("missing required field: upstream at proxy 1");
    }

    [Test]
    public async Task Reset_and_delete_answer_204_with_no_body()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        await env.CreateProxyAsync("pg");
        await env.Client.AddToxicAsync("pg", ToxicSpec.Latency(10), env.Token);

        var delete = await env.Http.SendAsync("DELETE", "/proxies/pg/toxics/latency_downstream", null, env.Token);
        var reset = await env.Http.SendAsync("POST", "/reset", null, env.Token);
        var deleteProxy = await env.Http.SendAsync("DELETE", "/proxies/pg", null, env.Token);

        new[] { delete, reset, deleteProxy }.Should().AllSatisfy(r =>
        {
            r.Status.Should().Be(204);
            r.Body.Should().BeEmpty();
        });
    }

    [Test]
    public async Task Proxies_list_is_an_object_keyed_by_name_and_toxics_list_an_array()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        await env.CreateProxyAsync("one");
        await env.CreateProxyAsync("two");
        await env.Client.AddToxicAsync("one", ToxicSpec.Bandwidth(100, ToxicStream.Upstream), env.Token);

        var proxies = (await env.Http.SendAsync("GET", "/proxies", null, env.Token)).Json;
        proxies.ValueKind.Should().Be(JsonValueKind.Object);
        proxies.EnumerateObject().Select(p => p.Name).Should().BeEquivalentTo("one", "two");
        proxies.GetProperty("one").GetProperty("toxics")[0].GetProperty("name").GetString().Should().Be("bandwidth_upstream");

        var toxics = (await env.Http.SendAsync("GET", "/proxies/one/toxics", null, env.Token)).Json;
        toxics.ValueKind.Should().Be(JsonValueKind.Array);
        toxics[0].GetProperty("attributes").GetProperty("rate").GetInt64().Should().Be(100);
    }
}
