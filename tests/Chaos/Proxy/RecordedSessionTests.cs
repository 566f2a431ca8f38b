using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Chaos.Tests.Proxy.Support;
using FluentAssertions;
using NUnit.Framework;

namespace Chaos.Tests.Proxy;

/// <summary>
/// A real client session (create, toxics, update, toggle, reset, populate, errors) replayed
/// against our server and compared, step by step, with the answers a real Toxiproxy 2.12 gave to
/// the same requests (Recorded/toxiproxy-2.12.0-session.json): status, content type, and the body,
/// with listen ports and our additive <c>connections</c> field left out of the comparison.
/// To record again, point <see cref="RecordVariable"/> at a real Toxiproxy's API and run this test.
/// </summary>
public class RecordedSessionTests
{
    public const string RecordVariable = "CHAOS_RECORD_TOXIPROXY";

    private const string Upstream = "127.0.0.1:5432";

    /// <summary>The session. {port:pg} is the listen port the server gave proxy pg in step 2.</summary>
    public static readonly (string Method, string Path, string? Body, string? UserAgent)[] Session =
    [
        ("GET", "/version", null, null),
        ("POST", "/proxies", $$"""{"name":"pg","listen":"127.0.0.1:0","upstream":"{{Upstream}}"}""", null),
        ("POST", "/proxies", $$"""{"name":"pg","listen":"127.0.0.1:0","upstream":"{{Upstream}}"}""", null),
        ("POST", "/proxies", """{"listen":"127.0.0.1:0"}""", null),
        ("POST", "/proxies", """{"name":"x","listen":"127.0.0.1:0"}""", null),
        ("POST", "/proxies", """{not json""", null),
        ("POST", "/proxies", """{"name":7}""", null),
        ("POST", "/proxies", """[1,2]""", null),
        ("POST", "/proxies/pg/toxics", """{"type":"latency","attributes":{"latency":100,"jitter":10}}""", null),
        ("POST", "/proxies/pg/toxics", """{"type":"latency","attributes":{"latency":5}}""", null),
        ("POST", "/proxies/pg/toxics", """{"type":"latency","attributes":{"latency":"bad"}}""", null),
        ("POST", "/proxies/pg/toxics", """{"type":"slicer","name":"s"}""", null),
        ("POST", "/proxies/pg/toxics", """{"type":"latency","name":"neg","attributes":{"latency":-5},"toxicity":0.1}""", null),
        ("POST", "/proxies/pg/toxics", """{"type":"timeout","stream":"UPSTREAM","attributes":{"timeout":0}}""", null),
        ("POST", "/proxies/pg/toxics", """{"type":"nope"}""", null),
        ("POST", "/proxies/pg/toxics", """{"type":"latency","stream":"sideways"}""", null),
        ("POST", "/proxies/pg/toxics", """{"type":"latency","name":"l2","attributes":{"latency":1.5}}""", null),
        ("POST", "/proxies/pg/toxics", """{"type":"latency","name":"l3","attributes":[1]}""", null),
        ("POST", "/proxies/pg/toxics", """{"type":"latency","name":"l4","toxicity":"all"}""", null),
        ("POST", "/proxies/pg/toxics", "", null),
        ("POST", "/proxies/pg/toxics", "[{", null),
        ("POST", "/proxies/pg/toxics/latency_downstream", """{"attributes":{"latency":50}}""", null),
        ("POST", "/proxies/pg/toxics/latency_downstream", """{"toxicity":0.5}""", null),
        ("POST", "/proxies/pg/toxics/latency_downstream", """{"toxicity":"x"}""", null),
        ("POST", "/proxies/pg/toxics/latency_downstream", """[1]""", null),
        ("POST", "/proxies/pg/toxics/nope", """{}""", null),
        ("GET", "/proxies/pg/toxics", null, null),
        ("GET", "/proxies/pg/toxics/s", null, null),
        ("DELETE", "/proxies/pg/toxics/s", null, null),
        ("DELETE", "/proxies/pg/toxics/s", null, null),
        ("GET", "/proxies/pg/toxics/s", null, null),
        ("POST", "/proxies/pg", """{"enabled":false}""", null),
        ("GET", "/proxies", null, null),
        ("POST", "/proxies/pg", """{"enabled":true}""", null),
        ("POST", "/proxies/pg", """{"listen":"localhost:{port:pg}"}""", null),
        ("POST", "/proxies/pg", """{"enabled":1}""", null),
        ("POST", "/reset", null, null),
        ("GET", "/proxies/pg", null, null),
        ("POST", "/populate", $$"""[{"name":"pg","listen":"localhost:{port:pg}","upstream":"{{Upstream}}"},{"name":"other","listen":"127.0.0.1:0","upstream":"{{Upstream}}","enabled":false}]""", null),
        ("POST", "/populate", """[{"name":"z"}]""", null),
        ("POST", "/populate", """{"name":"z"}""", null),
        ("POST", "/populate", """[]""", null),
        ("GET", "/proxies/nope", null, null),
        ("DELETE", "/proxies/nope", null, null),
        ("GET", "/nope", null, null),
        ("PUT", "/proxies", null, null),
        ("GET", "/proxies", null, "Mozilla/5.0 (X11; Linux x86_64)"),
        ("DELETE", "/proxies/other", null, null),
        ("DELETE", "/proxies/pg", null, null),
        ("GET", "/proxies", null, null),
    ];

    public sealed record Answer(string Method, string Path, string? Body, int Status, string? ContentType, string Text);

    private static string RecordingPath([CallerFilePath] string here = "") =>
        Path.Combine(Path.GetDirectoryName(here)!, "Recorded", "toxiproxy-2.12.0-session.json");

    /// <summary>Runs the session against <paramref name="http"/>: every answer, in order.</summary>
    public static async Task<List<Answer>> PlayAsync(HttpClient http, CancellationToken ct)
    {
        var answers = new List<Answer>();
        string? pgPort = null;
        foreach (var (method, path, body, userAgent) in Session)
        {
            var sent = body?.Replace("{port:pg}", pgPort, StringComparison.Ordinal);
            var response = await http.SendAsync(method, path, sent, ct, userAgent);
            if (pgPort is null && response.Status == 201 && path == "/proxies")
            {
                pgPort = response.Json.GetProperty("listen").GetString()!.Split(':')[^1];
            }

            answers.Add(new Answer(method, path, body, response.Status, response.ContentType, response.Body));
        }

        return answers;
    }

    [Test]
    public async Task Every_answer_of_a_real_client_session_matches_toxiproxy_2_12s_recorded_answer()
    {
        if (Environment.GetEnvironmentVariable(RecordVariable) is { Length: > 0 } real)
        {
            using var recorder = new HttpClient { BaseAddress = new Uri(real), Timeout = TimeSpan.FromSeconds(20) };
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var recorded = await PlayAsync(recorder, deadline.Token);
            await File.WriteAllTextAsync(RecordingPath(), JsonSerializer.Serialize(recorded, new JsonSerializerOptions { WriteIndented = true }) + "\n");
            Assert.Inconclusive($"recorded {recorded.Count} answers from {real}");
        }

        var expected = JsonSerializer.Deserialize<List<Answer>>(await File.ReadAllTextAsync(RecordingPath()))!;
        await using var env = await ProxyEnvironment.StartAsync();

        var actual = await PlayAsync(env.Http, env.Token);

        actual.Should().HaveCount(expected.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            var (want, got) = (expected[i], actual[i]);
            var step = $"step {i + 1}: {want.Method} {want.Path} {want.Body}";
            got.Status.Should().Be(want.Status, step);
            got.ContentType.Should().Be(want.ContentType, step);
            Shape(got.Text).Should().Be(Shape(want.Text), step);
        }
    }

    /// <summary>
    /// The body as compared: JSON with every listen port replaced and our <c>connections</c>
    /// field removed (key order kept: a client may compare text), anything else as it is.
    /// </summary>
    internal static string Shape(string body)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(body);
        }
        catch (JsonException)
        {
            return body;
        }

        Normalize(node);
        return (node?.ToJsonString() ?? "null") + (body.EndsWith('\n') ? "\n" : "");
    }

    private static void Normalize(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                obj.Remove("connections");
                if (obj["listen"] is JsonValue listen && listen.TryGetValue<string>(out var text))
                {
                    obj["listen"] = Regex.Replace(text, @":\d+$", ":<port>");
                }

                foreach (var (_, child) in obj.ToList())
                {
                    Normalize(child);
                }

                break;
            case JsonArray array:
                foreach (var child in array)
                {
                    Normalize(child);
                }

                break;
        }
    }
}
