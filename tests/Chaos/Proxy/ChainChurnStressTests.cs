using System.Buffers.Binary;
using System.Diagnostics;
using Chaos.Harness.Proxy;
using Chaos.Tests.Proxy.Support;
using FluentAssertions;
using NUnit.Framework;

namespace Chaos.Tests.Proxy;

/// <summary>
/// A sharper version of the churn test in <see cref="ConcurrencyTests"/>: toxics that cut chunks
/// into many pieces (slicer without delay, slow bandwidth) sit in front of toxics that hold a
/// chunk (latency), so the channels between stubs fill and writes wait for room, and the chain is
/// changed anywhere (random toxic, random order) on both streams while connections open at random
/// times (some still on the fast path when the first toxic arrives). Every connection must get
/// back exactly what it sent; a failure says whether bytes were lost, duplicated or reordered.
/// </summary>
public class ChainChurnStressTests
{
    private const int Connections = 24;

    [Test]
    [CancelAfter(25_000)]
    public async Task Every_byte_arrives_exactly_once_in_order_while_the_chain_changes_anywhere()
    {
        await using var env = await ProxyEnvironment.StartAsync(deadline: TimeSpan.FromSeconds(20));
        var proxy = await env.CreateProxyAsync();
        using var churning = CancellationTokenSource.CreateLinkedTokenSource(env.Token);

        var pool = new[]
        {
            ToxicSpec.Slicer(48, 40, 0) with { Name = "slice_down" },
            ToxicSpec.Slicer(48, 40, 0, ToxicStream.Upstream) with { Name = "slice_up" },
            ToxicSpec.Latency(2, 1) with { Name = "latency_down" },
            ToxicSpec.Latency(2, 1, ToxicStream.Upstream) with { Name = "latency_up" },
            ToxicSpec.Bandwidth(200) with { Name = "bandwidth_down" },
            ToxicSpec.Bandwidth(200, ToxicStream.Upstream) with { Name = "bandwidth_up" },
            ToxicSpec.Slicer(3000, 2000, 0) with { Name = "slice_big_down" },
            ToxicSpec.SlowClose(5, ToxicStream.Upstream) with { Name = "slow_close_up" },
        };

        var churn = Task.Run(async () =>
        {
            var random = new Random(1);
            var present = new HashSet<string>();
            var changes = 0;
            while (!churning.IsCancellationRequested)
            {
                var spec = pool[random.Next(pool.Length)];
                try
                {
                    if (present.Remove(spec.Name!))
                    {
                        await env.Client.RemoveToxicAsync(proxy.Name, spec.Name!, churning.Token);
                    }
                    else
                    {
                        await env.Client.AddToxicAsync(proxy.Name, spec, churning.Token);
                        present.Add(spec.Name!);
                    }
                }
                catch (OperationCanceledException) when (churning.IsCancellationRequested)
                {
                    break;
                }

                changes++;
                if (present.Count == 0 || random.Next(8) == 0)
                {
                    // Sometimes let the chain settle a little, so bytes move through each shape.
                    await Task.Delay(random.Next(1, 4), CancellationToken.None);
                }
            }

            return changes;
        });

        var started = Stopwatch.StartNew();
        var transfers = Enumerable.Range(0, Connections).Select(async i =>
        {
            var random = new Random(100 + i);

            // Staggered, so some connections are on the fast path when toxics arrive.
            await Task.Delay(random.Next(0, 1500), env.Token);
            using var socket = await env.ConnectAsync(proxy);
            var payload = Numbered(40_000 + random.Next(0, 60_000));
            var receiving = socket.ReceiveToEndAsync(TimeSpan.FromSeconds(15), env.Token);
            for (var offset = 0; offset < payload.Length;)
            {
                var size = Math.Min(random.Next(1, 9000), payload.Length - offset);
                await socket.SendAllAsync(payload.AsMemory(offset, size), env.Token);
                offset += size;
                if (random.Next(4) == 0)
                {
                    await Task.Delay(1, env.Token);
                }
            }

            socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
            var (data, end, _, _) = await receiving;
            return Verdict(i, payload, data, end);
        }).ToList();

        var verdicts = await Task.WhenAll(transfers);
        await churning.CancelAsync();
        var changes = await churn;
        TestContext.Out.WriteLine($"{changes} chain changes in {started.Elapsed.TotalSeconds:F1} s");

        verdicts.Where(v => v is not null).Should().BeEmpty("every connection must get every byte exactly once, in order");
        changes.Should().BeGreaterThan(50, "the chain must have changed while bytes were moving");
    }

    [Test]
    [CancelAfter(25_000)]
    public async Task Leaving_the_fast_path_mid_stream_loses_nothing_on_either_stream()
    {
        await using var env = await ProxyEnvironment.StartAsync(deadline: TimeSpan.FromSeconds(20));
        var proxy = await env.CreateProxyAsync();
        var random = new Random(7);
        var verdicts = new List<string?>();
        var started = Stopwatch.StartNew();
        var rounds = 0;

        // Each round starts toxic-free, so every new link is on the fast path (splice if enabled)
        // with bytes in flight both ways when the first toxic of each stream arrives.
        while (started.Elapsed < TimeSpan.FromSeconds(6))
        {
            var transfers = Enumerable.Range(0, 12).Select(i => TransferAsync(env, proxy, new Random(random.Next()), rounds * 100 + i)).ToList();
            await Task.Delay(random.Next(1, 20), env.Token);
            var specs = new[] { ToxicSpec.Latency(1), ToxicSpec.Slicer(64, 32, 0, ToxicStream.Upstream) }.OrderBy(_ => random.Next()).ToList();
            foreach (var spec in specs)
            {
                await env.Client.AddToxicAsync(proxy.Name, spec, env.Token);
            }

            await Task.Delay(random.Next(0, 10), env.Token);
            foreach (var toxic in await env.Client.GetToxicsAsync(proxy.Name, env.Token))
            {
                await env.Client.RemoveToxicAsync(proxy.Name, toxic.Name, env.Token);
            }

            verdicts.AddRange(await Task.WhenAll(transfers));
            rounds++;
        }

        TestContext.Out.WriteLine($"{rounds} rounds of 12 connections in {started.Elapsed.TotalSeconds:F1} s");
        verdicts.Where(v => v is not null).Should().BeEmpty("every connection must get every byte exactly once, in order");
    }

    /// <summary>Sends a numbered payload in uneven pieces through the echo; null when it all came back intact.</summary>
    private static async Task<string?> TransferAsync(ProxyEnvironment env, ProxyInfo proxy, Random random, int id)
    {
        using var socket = await env.ConnectAsync(proxy);
        var payload = Numbered(200_000 + random.Next(0, 200_000));
        var receiving = socket.ReceiveToEndAsync(TimeSpan.FromSeconds(10), env.Token);
        for (var offset = 0; offset < payload.Length;)
        {
            var size = Math.Min(random.Next(1, 9000), payload.Length - offset);
            await socket.SendAllAsync(payload.AsMemory(offset, size), env.Token);
            offset += size;
            if (random.Next(8) == 0)
            {
                await Task.Delay(1, env.Token);
            }
        }

        socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        var (data, end, _, _) = await receiving;
        return Verdict(id, payload, data, end);
    }

    /// <summary>Four-byte big-endian counters: any 4-byte-aligned window says where it came from.</summary>
    private static byte[] Numbered(int length)
    {
        var bytes = new byte[length / 4 * 4];
        for (var n = 0; n < bytes.Length / 4; n++)
        {
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(n * 4), n);
        }

        return bytes;
    }

    /// <summary>Null when <paramref name="got"/> is exactly <paramref name="sent"/>, else what went wrong.</summary>
    private static string? Verdict(int connection, byte[] sent, byte[] got, StreamEnd end)
    {
        var common = Math.Min(sent.Length, got.Length);
        var first = sent.AsSpan(0, common).CommonPrefixLength(got.AsSpan(0, common));
        if (first == common && sent.Length == got.Length && end == StreamEnd.Closed)
        {
            return null;
        }

        var what = $"connection {connection}: sent {sent.Length} bytes, got {got.Length} ({end}), first difference at {first}";
        if (first < common)
        {
            // Where the bytes found at the first difference really belong in the stream, and
            // where the stream picks up again: tells lost bytes from extra (duplicated) ones.
            var window = got.AsSpan(first, Math.Min(12, got.Length - first));
            var from = sent.AsSpan().IndexOf(window);
            var expected = sent.AsSpan(first, Math.Min(12, sent.Length - first));
            var resumes = got.AsSpan(first).IndexOf(expected);
            what += from < 0 ? ", bytes that were never sent there"
                : from > first ? $", {from - first} bytes missing there"
                : $", bytes from offset {from} again";
            if (from >= 0 && from < first && resumes > 0)
            {
                var extra = got.AsSpan(first, resumes);
                var copy = extra.SequenceEqual(sent.AsSpan(from, Math.Min(resumes, sent.Length - from)));
                what += $", then {resumes} extra bytes{(copy ? " (an exact copy: duplicated)" : "")} before the stream resumes";
            }
        }

        return what;
    }
}
