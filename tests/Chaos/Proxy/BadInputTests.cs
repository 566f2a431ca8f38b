using Chaos.Tests.Proxy.Support;
using FluentAssertions;
using NUnit.Framework;

namespace Chaos.Tests.Proxy;

public class BadInputTests
{
    private static readonly (string Method, string Path, string Body)[] Cases =
    [
        ("POST", "/proxies", "{not json"),
        ("POST", "/proxies", "[1,2]"),
        ("POST", "/proxies", "\"text\""),
        ("POST", "/proxies", """{"name":7,"upstream":"127.0.0.1:1"}"""),
        ("POST", "/proxies", """{"name":"x","upstream":"127.0.0.1:1","enabled":"yes"}"""),
        ("POST", "/proxies", """{"name":"x","upstream":"nonsense"}"""),
        ("POST", "/proxies", """{"name":"x","upstream":"127.0.0.1:99999"}"""),
        ("POST", "/proxies", """{"name":"x","listen":"127.0.0.1:-5","upstream":"127.0.0.1:1"}"""),
        ("POST", "/proxies", """{"name":"x","listen":"203.0.113.9:0","upstream":"127.0.0.1:1"}"""),
        ("POST", "/proxies/pg", "{broken"),
        ("POST", "/proxies/pg", """{"enabled":1}"""),
        ("POST", "/proxies/pg", """{"listen":"no-port"}"""),
        ("POST", "/proxies/pg/toxics", ""),
        ("POST", "/proxies/pg/toxics", """{"type":"latency","attributes":{"latency":-1}}"""),
        ("POST", "/proxies/pg/toxics", """{"type":"latency","attributes":{"latency":3600001}}"""),
        ("POST", "/proxies/pg/toxics", """{"type":"latency","attributes":{"latency":"100"}}"""),
        ("POST", "/proxies/pg/toxics", """{"type":"latency","attributes":{"latency":1.5}}"""),
        ("POST", "/proxies/pg/toxics", """{"type":"latency","attributes":{"latency":1e40}}"""),
        ("POST", "/proxies/pg/toxics", """{"type":"latency","attributes":[1]}"""),
        ("POST", "/proxies/pg/toxics", """{"type":"latency","toxicity":1.5}"""),
        ("POST", "/proxies/pg/toxics", """{"type":"latency","toxicity":-0.1}"""),
        ("POST", "/proxies/pg/toxics", """{"type":"latency","toxicity":"all"}"""),
        ("POST", "/proxies/pg/toxics", """{"type":42}"""),
        ("POST", "/proxies/pg/toxics", """{"type":"bandwidth","attributes":{"rate":-10}}"""),
        ("POST", "/proxies/pg/toxics", """{"type":"slicer","attributes":{"average_size":0}}"""),
        ("POST", "/proxies/pg/toxics", """{"type":"slicer","attributes":{"average_size":10,"size_variation":20}}"""),
        ("POST", "/proxies/pg/toxics", """{"type":"limit_data","attributes":{"bytes":-1}}"""),
        ("POST", "/proxies/pg/toxics", """{"type":"timeout","attributes":{"timeout":-1}}"""),
        ("POST", "/proxies/pg/toxics/existing", """{"attributes":{"latency":-3}}"""),
        ("POST", "/proxies/pg/toxics/existing", """{"toxicity":7}"""),
        ("POST", "/proxies/pg/toxics/existing", "nope"),
        ("POST", "/populate", """{"name":"x"}"""),
        ("POST", "/populate", """[{"name":"x","upstream":"127.0.0.1:1"}, 5]"""),
        ("POST", "/populate", "[{"),
        ("GET", "/proxies/pg/toxics/existing/extra", ""),
        ("PUT", "/proxies", ""),
    ];

    [Test]
    public async Task Bad_input_gets_a_4xx_error_json_and_never_breaks_the_server()
    {
        await using var env = await ProxyEnvironment.StartAsync();
        var proxy = await env.CreateProxyAsync("pg");
        await env.Client.AddToxicAsync("pg", Chaos.Harness.Proxy.ToxicSpec.Latency(1) with { Name = "existing" }, env.Token);
        using var socket = await env.ConnectAsync(proxy);

        foreach (var (method, path, body) in Cases)
        {
            var response = await env.Http.SendAsync(method, path, body.Length == 0 ? null : body, env.Token);

            response.Status.Should().BeInRange(400, 499, $"{method} {path} {body} is bad input, not a server error ({response.Body})");
            response.Json.GetProperty("status").GetInt32().Should().Be(response.Status);
            response.Json.GetProperty("error").GetString().Should().NotBeNullOrEmpty();
        }

        // Everything still works: the toxic is unchanged and the connection still passes bytes.
        (await env.Client.GetToxicAsync("pg", "existing", env.Token)).Attributes["latency"].Should().Be(1);
        (await env.Client.GetProxiesAsync(env.Token)).Keys.Should().Equal("pg");
        await socket.PingAsync(env.Token);
    }
}
