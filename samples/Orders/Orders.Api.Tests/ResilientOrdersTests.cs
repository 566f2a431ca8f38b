using System.Net;
using Chaos.Harness.Testing;
using NUnit.Framework;

namespace Orders.Api.Tests;

/// <summary>
/// EF Core's EnableRetryOnFailure runs the whole transaction again on a transient failure, and the client's
/// Idempotency-Key (unique in the table, checked by verifySucceeded and at the start of each attempt) keeps
/// a rerun from writing twice. What a client sees: 201, once, and the order exists exactly once.
/// </summary>
[TestFixture]
public class ResilientOrdersTests : OrdersServiceFixture
{
    protected override bool Resilient => true;

    [Test]
    public async Task A_TCP_reset_before_COMMIT_is_retried_and_the_order_exists_once()
    {
        Hook.Arm(ct => Database.InjectAsync(Fault.TcpResetMidTransaction(App), ct));

        using var response = await PostOrderAsync("reset-1");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        Assert.That(await OrdersWithKeyAsync("reset-1"), Is.EqualTo(1));
    }

    [Test]
    public async Task Idle_backends_killed_are_invisible_to_the_client()
    {
        await WarmAsync();
        await Database.InjectAsync(Fault.IdleBackendsKilled(App), TestTimeout);
        await UntilNoBackendsAsync();

        using var response = await PostOrderAsync("idle-1");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), "57P01 is transient: the strategy reruns the transaction on the cleared pool");
        Assert.That(await OrdersWithKeyAsync("idle-1"), Is.EqualTo(1));
    }

    [Test]
    public async Task A_server_restart_is_invisible_to_the_client()
    {
        await WarmAsync();
        await Database.InjectAsync(Fault.ServerRestart(), TestTimeout);

        using var response = await PostOrderAsync("restart-1");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        Assert.That(await OrdersWithKeyAsync("restart-1"), Is.EqualTo(1));
    }

    [Test]
    public async Task A_client_that_retries_after_a_reset_gets_one_order()
    {
        Hook.Arm(ct => Database.InjectAsync(Fault.TcpResetMidTransaction(App), ct));

        using var first = await PostOrderAsync("again-1");
        using var retried = await PostOrderAsync("again-1"); // the client did not trust the first answer

        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        Assert.That(retried.StatusCode, Is.EqualTo(HttpStatusCode.Created), "the key found the order the first request made");
        Assert.That(await OrdersWithKeyAsync("again-1"), Is.EqualTo(1));
    }
}
