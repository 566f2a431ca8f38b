using System.Security.Cryptography;
using Chaos.Harness.Proxy;
using Chaos.Tests.Proxy.Support;
using FluentAssertions;
using NUnit.Framework;

namespace Chaos.Tests.Proxy;

public class ConcurrencyTests
{
    [Test]
    public async Task Fifty_connections_keep_every_byte_in_order_while_toxics_churn()
    {
        await using var env = await ProxyEnvironment.StartAsync(deadline: TimeSpan.FromSeconds(60));
        var proxy = await env.CreateProxyAsync();
        using var churning = CancellationTokenSource.CreateLinkedTokenSource(env.Token);

        var churn = Task.Run(async () =>
        {
            var rounds = 0;
            var specs = new[]
            {
                ToxicSpec.Latency(5, 2),
                ToxicSpec.Latency(3, stream: ToxicStream.Upstream),
                ToxicSpec.Slicer(500, 100, 50),
                ToxicSpec.Bandwidth(50_000, ToxicStream.Upstream),
                ToxicSpec.SlowClose(10),
            };
            while (!churning.IsCancellationRequested)
            {
                foreach (var spec in specs)
                {
                    await env.Client.AddToxicAsync(proxy.Name, spec, env.Token);
                }

                foreach (var toxic in await env.Client.GetToxicsAsync(proxy.Name, env.Token))
                {
                    await env.Client.RemoveToxicAsync(proxy.Name, toxic.Name, env.Token);
                }

                rounds++;
            }

            return rounds;
        });

        var transfers = Enumerable.Range(0, 50).Select(async i =>
        {
            using var socket = await env.ConnectAsync(proxy);
            var payload = RandomNumberGenerator.GetBytes(100_000 + i * 1000);
            var receiving = socket.ReceiveToEndAsync(TimeSpan.FromSeconds(45), env.Token);
            for (var offset = 0; offset < payload.Length; offset += 7000)
            {
                await socket.SendAllAsync(payload.AsMemory(offset, Math.Min(7000, payload.Length - offset)), env.Token);
            }

            socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
            var (data, end, _, _) = await receiving;
            end.Should().Be(StreamEnd.Closed, $"connection {i} should end cleanly");
            SHA256.HashData(data).Should().Equal(SHA256.HashData(payload), $"connection {i} must get every byte, in order");
        }).ToList();

        await Task.WhenAll(transfers);
        await churning.CancelAsync();
        (await churn).Should().BeGreaterThan(0);
    }
}
