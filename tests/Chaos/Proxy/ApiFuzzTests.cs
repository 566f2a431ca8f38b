using System.Diagnostics;
using System.Text;
using Chaos.Harness.Proxy;
using Chaos.Tests.Proxy.Support;
using FluentAssertions;
using NUnit.Framework;

namespace Chaos.Tests.Proxy;

/// <summary>
/// Random and mutated JSON bodies against every POST endpoint, a fixed number of times with a
/// fixed seed: never a 500, never a hang (every request bounded), memory bounded, and the server
/// still whole afterwards (every proxy it created addressable and deletable, the stream flowing).
/// </summary>
public class ApiFuzzTests
{
    private const int Seed = 20261201;
    private const int Iterations = 3000;

    private static readonly string[] Endpoints =
        ["/proxies", "/populate", "/proxies/pg", "/proxies/pg/toxics", "/proxies/pg/toxics/t", "/reset"];

    private static readonly string[] Corpus =
    [
        """{"name":"f","upstream":"127.0.0.1:1"}""",
        """{"name":"f","upstream":"127.0.0.1:1","enabled":false}""",
        """[{"name":"p1","upstream":"127.0.0.1:1"},{"name":"p2","upstream":"127.0.0.1:2","enabled":true}]""",
        """{"enabled":true}""",
        """{"upstream":"127.0.0.1:9"}""",
        """{"type":"latency","name":"t","stream":"upstream","toxicity":0.5,"attributes":{"latency":5,"jitter":1}}""",
        """{"type":"slicer","attributes":{"average_size":10,"size_variation":2,"delay":10}}""",
        """{"type":"bandwidth","attributes":{"rate":1000}}""",
        """{"type":"limit_data","attributes":{"bytes":100000}}""",
        """{"attributes":{"latency":7},"toxicity":1}""",
        "",
        "null",
    ];

    private static readonly string[] Fragments =
    [
        "null", "true", "-1", "0", "1e999", "-9223372036854775809", "18446744073709551616", "1.5", "\"\\ud800\"", "\"\\udfff\\ud800\"",
        "{", "}", "[", "]", ",", ":", "\"", "\\", "\\u00", "\u0000", "\uFFFF", "\"name\"", "\"attributes\"", "\"toxicity\"",
        "\"stream\"", "\"type\"", "\"NAME\"", "{\"a\":{\"b\":[]}}",
    ];

    [Test]
    public async Task Mutated_bodies_against_every_post_endpoint_never_get_a_500_or_hang_and_memory_stays_bounded()
    {
        await using var env = await ProxyEnvironment.StartAsync(deadline: TimeSpan.FromMinutes(3));
        await env.CreateProxyAsync("pg");
        var random = new Random(Seed);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var memoryBefore = GC.GetTotalMemory(forceFullCollection: true);
        var statuses = new Dictionary<int, int>();
        var slowest = TimeSpan.Zero;

        for (var i = 0; i < Iterations; i++)
        {
            var endpoint = Endpoints[random.Next(Endpoints.Length)];
            var body = Mutate(random, Corpus[random.Next(Corpus.Length)]);
            if (body.Contains("listen", StringComparison.OrdinalIgnoreCase))
            {
                // A mutated listen host would be looked up in DNS: this test sends nothing off the machine.
                continue;
            }

            using var bounded = CancellationTokenSource.CreateLinkedTokenSource(env.Token);
            bounded.CancelAfter(TimeSpan.FromSeconds(10));
            var started = Stopwatch.GetTimestamp();
            RawResponse response;
            try
            {
                response = await env.Http.SendAsync("POST", endpoint, body, bounded.Token);
            }
            catch (OperationCanceledException) when (!env.Token.IsCancellationRequested)
            {
                throw new AssertionException($"iteration {i}: POST {endpoint} hung for 10 s with body {Show(body)}");
            }

            slowest = TimeSpan.FromTicks(Math.Max(slowest.Ticks, Stopwatch.GetElapsedTime(started).Ticks));
            statuses[response.Status] = statuses.GetValueOrDefault(response.Status) + 1;
            response.Status.Should().BeLessThan(500, $"iteration {i}: POST {endpoint} {Show(body)} answered {response.Body}");
        }

        TestContext.Out.WriteLine($"statuses: {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Value}"))}; slowest {slowest.TotalMilliseconds:F0} ms");
        statuses.Keys.Should().Contain(400).And.Contain(200, "the fuzzer reaches both refusals and successes");

        // Whole afterwards: every proxy it made can be addressed and deleted; pg still passes bytes.
        foreach (var name in (await env.Client.GetProxiesAsync(env.Token)).Keys.Where(n => n != "pg"))
        {
            await env.Client.DeleteProxyAsync(name, env.Token);
        }

        await env.Client.ResetAsync(env.Token);
        var current = await env.Client.UpdateProxyAsync("pg", new ProxyUpdate(Upstream: env.Upstream.Address), env.Token);
        using var socket = await env.ConnectAsync(current);
        await socket.PingAsync(env.Token);

        GC.Collect();
        GC.WaitForPendingFinalizers();
        (GC.GetTotalMemory(forceFullCollection: true) - memoryBefore).Should().BeLessThan(64L * 1024 * 1024, "nothing a request made is kept");
    }

    private static string Mutate(Random random, string seed)
    {
        var text = new StringBuilder(seed);
        for (var n = random.Next(1, 4); n > 0; n--)
        {
            var at = text.Length == 0 ? 0 : random.Next(text.Length + 1);
            switch (random.Next(10))
            {
                case 8 or 9:
                    // Structural: one string or number of the body replaced by a fragment, so odd
                    // values reach the fields (a lone surrogate as a name, a huge number as an attribute).
                    var values = System.Text.RegularExpressions.Regex.Matches(text.ToString(), @"""[^""\\]*""|-?[0-9][0-9.eE+\-]*");
                    if (values.Count > 0)
                    {
                        var value = values[random.Next(values.Count)];
                        text.Remove(value.Index, value.Length).Insert(value.Index, Fragments[random.Next(Fragments.Length)]);
                    }

                    break;
                case 0 when text.Length > 0:
                    text[Math.Min(at, text.Length - 1)] = (char)random.Next(1, 0x3000);
                    break;
                case 1 when text.Length > 0:
                    text.Remove(Math.Min(at, text.Length - 1), Math.Min(random.Next(1, 8), text.Length - Math.Min(at, text.Length - 1)));
                    break;
                case 2:
                    text.Insert(at, Fragments[random.Next(Fragments.Length)]);
                    break;
                case 3:
                    text.Insert(at, new string('[', random.Next(1, 2000)));
                    break;
                case 4:
                    text.Insert(at, "\"" + new string('x', random.Next(1, 200_000)) + "\"");
                    break;
                case 5 when text.Length > 0:
                    var from = random.Next(text.Length);
                    text.Insert(at, text.ToString(from, Math.Min(random.Next(1, 40), text.Length - from)));
                    break;
                case 6:
                    text.Insert(at, random.Next(-1_000_000, 1_000_000).ToString(System.Globalization.CultureInfo.InvariantCulture));
                    break;
                default:
                    var bytes = new byte[random.Next(1, 16)];
                    random.NextBytes(bytes);
                    text.Insert(at, Encoding.Latin1.GetString(bytes));
                    break;
            }
        }

        return text.ToString();
    }

    private static string Show(string body) => body.Length <= 200 ? body : body[..200] + $"... ({body.Length} chars)";
}
