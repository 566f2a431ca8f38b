using System.Net;
using Chaos.Harness.Testing;
using NUnit.Framework;

namespace Orders.Api.Tests;

/// <summary>
/// One plain transaction per POST, no retry: what a client sees is the honest failure. Each fault costs the
/// request in flight a 503, the order is not written, and the next request works.
/// </summary>
[TestFixture]
public class PlainOrdersTests : OrdersServiceFixture
{
    protected override bool Resilient => false;

    [Test]
    public async Task A_TCP_reset_before_COMMIT_returns_503_and_writes_nothing()
    {
        Hook.Arm(ct => Database.InjectAsync(Fault.TcpResetMidTransaction(App), ct));

        using var response = await PostOrderAsync("reset-1");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(await OrdersWithKeyAsync("reset-1"), Is.Zero, "the server rolled back the transaction whose COMMIT never arrived");
    }

    [Test]
    public async Task Idle_backends_killed_fail_the_next_request_with_503_then_the_service_recovers()
    {
        await WarmAsync();
        await Database.InjectAsync(Fault.IdleBackendsKilled(App), TestTimeout);
        await UntilNoBackendsAsync();

        using var first = await PostOrderAsync("idle-1");
        using var second = await PostOrderAsync("idle-2");

        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable), "Npgsql hands out the killed pooled connection: 57P01");
        Assert.That(await OrdersWithKeyAsync("idle-1"), Is.Zero);
        Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.Created), "the failure cleared the pool");
    }

    [Test]
    public async Task A_server_restart_fails_the_next_request_with_503()
    {
        await WarmAsync();
        await Database.InjectAsync(Fault.ServerRestart(), TestTimeout);

        using var response = await PostOrderAsync("restart-1");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable), "the pooled connection's session ended with 57P01");
        Assert.That(await OrdersWithKeyAsync("restart-1"), Is.Zero);
    }

    [Test]
    public async Task A_latency_spike_slows_the_request_but_it_succeeds()
    {
        await WarmAsync();
        var spike = await Database.InjectAsync(Fault.Named("latency-spike"), TestTimeout);

        using var response = await PostOrderAsync("latency-1");
        await spike.HealAsync(TestTimeout);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        Assert.That(await OrdersWithKeyAsync("latency-1"), Is.EqualTo(1));
    }
}
