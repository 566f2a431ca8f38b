using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text;
using Chaos.Harness.Proxy;
using FluentAssertions;
using NUnit.Framework;

namespace Chaos.Tests.Proxy;

/// <summary>
/// The client against answers shaped exactly as a real Toxiproxy 2.x (Go) server writes them:
/// no <c>connections</c> field, JSON version, errors written by Go's http.Error (trailing newline).
/// The answers are recorded from a real Toxiproxy 2.12.0 (Recorded/, see <see cref="RecordedSessionTests"/>).
/// </summary>
public class RealToxiproxyShapeTests
{
    private static readonly Lazy<List<RecordedSessionTests.Answer>> RecordedAnswers = new(() =>
        JsonSerializer.Deserialize<List<RecordedSessionTests.Answer>>(File.ReadAllText(RecordingPath()))!);

    private static string RecordingPath([CallerFilePath] string here = "") =>
        Path.Combine(Path.GetDirectoryName(here)!, "Recorded", "toxiproxy-2.12.0-session.json");

    /// <summary>The recorded answer to the session's first request matching method, path and status.</summary>
    private static ToxiproxyClient ClientAnsweringAsRecorded(string method, string path, int status)
    {
        var answer = RecordedAnswers.Value.First(a => a.Method == method && a.Path == path && a.Status == status);
        return ClientAnswering((HttpStatusCode)answer.Status, answer.Text);
    }

    [Test]
    public async Task A_recorded_proxy_with_its_Logger_field_and_toxics_parses()
    {
        using var client = ClientAnsweringAsRecorded("GET", "/proxies", 200);

        var proxies = await client.GetProxiesAsync();

        var pg = proxies["pg"];
        pg.Enabled.Should().BeFalse();
        pg.Connections.Should().BeNull();
        pg.Toxics.Select(t => (t.Name, t.Stream)).Should().Contain(("timeout_UPSTREAM", ToxicStream.Upstream));
        pg.Toxics.Single(t => t.Name == "latency_downstream").Toxicity.Should().Be(0.5);
    }

    [Test]
    public async Task A_recorded_populate_answer_with_null_proxies_is_an_empty_list()
    {
        using var client = ClientAnsweringAsRecorded("POST", "/populate", 201);
        (await client.PopulateAsync([])).Select(p => p.Name).Should().Equal("pg", "other");

        var empty = RecordedAnswers.Value.Last(a => a.Path == "/populate" && a.Status == 201);
        using var emptyClient = ClientAnswering(HttpStatusCode.Created, empty.Text);
        (await emptyClient.PopulateAsync([])).Should().BeEmpty();
    }

    [Test]
    public async Task A_recorded_plain_text_error_yields_status_and_message()
    {
        using var client = ClientAnsweringAsRecorded("POST", "/proxies/pg/toxics", 409);

        var act = () => client.AddToxicAsync("pg", ToxicSpec.Latency(5));

        var thrown = (await act.Should().ThrowAsync<ToxiproxyException>()).Which;
        thrown.Status.Should().Be(409);
        thrown.ServerMessage.Should().Be("toxic already exists");
    }

    [Test]
    public async Task The_recorded_version_is_unwrapped()
    {
        using var client = ClientAnsweringAsRecorded("GET", "/version", 200);

        (await client.GetVersionAsync()).Should().Be("2.12.0");
    }

    private sealed class Recorded(HttpStatusCode status, string body) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") });
    }

    private static ToxiproxyClient ClientAnswering(HttpStatusCode status, string body) =>
        new(new Uri("http://127.0.0.1:8474"), new HttpClient(new Recorded(status, body)));

    [Test]
    public async Task A_proxy_without_a_connections_field_reports_null_connections()
    {
        using var client = ClientAnswering(HttpStatusCode.OK,
            """{"name":"pg","listen":"127.0.0.1:26379","upstream":"127.0.0.1:5432","enabled":true,"toxics":[{"attributes":{"latency":100,"jitter":0},"name":"latency_downstream","type":"latency","stream":"downstream","toxicity":0.5}]}""");

        var proxy = await client.GetProxyAsync("pg");

        proxy.Connections.Should().BeNull();
        proxy.ListenPort.Should().Be(26379);
        proxy.Toxics.Single().Should().BeEquivalentTo(new ToxicInfo("latency_downstream", "latency", ToxicStream.Downstream, 0.5,
            new Dictionary<string, long> { ["latency"] = 100, ["jitter"] = 0 }));
        (await client.GetOpenConnectionsAsync("pg")).Should().BeNull();
    }

    [Test]
    public async Task A_json_version_is_unwrapped()
    {
        using var client = ClientAnswering(HttpStatusCode.OK, "{\"version\": \"2.9.0\"}\n");

        (await client.GetVersionAsync()).Should().Be("2.9.0");
    }

    [Test]
    public async Task An_http_error_body_with_a_trailing_newline_still_yields_status_and_message()
    {
        using var client = ClientAnswering(HttpStatusCode.Conflict, "{\"error\":\"toxic already exists\",\"status\":409}\n");

        var act = () => client.AddToxicAsync("pg", ToxicSpec.Latency(5));

        var thrown = (await act.Should().ThrowAsync<ToxiproxyException>()).Which;
        thrown.Status.Should().Be(409);
        thrown.ServerMessage.Should().Be("toxic already exists");
    }
}
