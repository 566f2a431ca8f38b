using System.Net.Http.Json;
using Chaos.Harness.Testing;
using Chaos.NUnit;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NUnit.Framework;
using Orders.Api;

namespace Orders.Api.Tests;

/// <summary>
/// The orders service on a WebApplicationFactory, connected through the fault proxy of the fixture's chaos
/// database (<see cref="ChaosDatabaseFixture"/>):
/// <code>
///   HttpClient ──► Orders.Api (in-process) ──► EF Core / Npgsql ──► fault proxy ──► PostgreSQL
///   the test injects faults                                         ▲ here, or on the server
/// </code>
/// Each test gets a service of its own whose connections carry the test's own Application Name, so faults
/// strike that test's pool only, and one test's dead connections never reach the next.
/// </summary>
public abstract class OrdersServiceFixture : ChaosDatabaseFixture
{
    private WebApplicationFactory<Program>? _service;

    /// <summary>EF Core's retrying strategy with idempotency keys (true) or one plain transaction (false).</summary>
    protected abstract bool Resilient { get; }

    /// <summary>The service's HTTP client.</summary>
    protected HttpClient Client { get; private set; } = null!;

    /// <summary>Runs a fault's strike inside the service's next COMMIT: the hook a mid-transaction fault needs.</summary>
    protected CommitHook Hook { get; } = new();

    /// <summary>
    /// The Application Name of this test's service. Fixed at SetUp: a hook runs inside the service's request,
    /// where NUnit's TestContext is not the test's.
    /// </summary>
    protected string App { get; private set; } = "";

    [OneTimeSetUp]
    public async Task CreateSchemaAsync()
    {
        await using var db = new OrdersDb(new DbContextOptionsBuilder<OrdersDb>().UseNpgsql(Database.DirectConnectionString).Options);
        await db.Database.EnsureCreatedAsync();
    }

    [SetUp]
    public void StartService()
    {
        var name = $"orders-{(Resilient ? "r" : "p")}-{TestContext.CurrentContext.Test.MethodName}";
        App = name.Length > 63 ? name[..63] : name; // PostgreSQL keeps 63 bytes of an application name
        _service = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseSetting("ConnectionStrings:Orders", Database.ConnectionStringFor(App));
            web.UseSetting("Orders:Resilient", Resilient.ToString());
            web.UseSetting("Logging:LogLevel:Default", "Warning");
            web.ConfigureTestServices(services => services.AddSingleton<IInterceptor>(Hook));
        });
        Client = _service.CreateClient();
    }

    [TearDown]
    public async Task StopServiceAsync()
    {
        Hook.Disarm();
        Client.Dispose();
        if (_service is not null) await _service.DisposeAsync();
    }

    /// <summary>POST /orders with an Idempotency-Key, as a client would.</summary>
    protected async Task<HttpResponseMessage> PostOrderAsync(string key, string item = "book")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/orders") { Content = JsonContent.Create(new NewOrder(item, 1)) };
        request.Headers.Add("Idempotency-Key", key);
        return await Client.SendAsync(request, TestTimeout);
    }

    /// <summary>One request through the service, so its pool holds an idle connection for the fault to find.</summary>
    protected async Task WarmAsync()
    {
        using var response = await Client.GetAsync($"/orders/{Guid.NewGuid()}", TestTimeout);
        Assert.That((int)response.StatusCode, Is.EqualTo(404), "a warm-up read of an order that does not exist");
    }

    /// <summary>How many orders <paramref name="key"/> made, read straight from the server (not through the fault).</summary>
    protected async Task<long> OrdersWithKeyAsync(string key)
    {
        await using var connection = new NpgsqlConnection(Database.DirectConnectionString);
        await connection.OpenAsync(TestTimeout);
        await using var count = new NpgsqlCommand("""SELECT count(*) FROM "Orders" WHERE "IdempotencyKey" = @key""", connection);
        count.Parameters.AddWithValue("key", key);
        return (long)(await count.ExecuteScalarAsync(TestTimeout))!;
    }

    /// <summary>Waits (bounded) until the server has no backend of this test's service: killed backends have exited.</summary>
    protected async Task UntilNoBackendsAsync()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while ((await Database.GetActivityAsync(TestTimeout)).CountFor(App) > 0)
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(10)) Assert.Fail($"backends of {App} still there 10 s after they were terminated");
            await Task.Delay(20, TestTimeout);
        }
    }
}

/// <summary>An EF Core interceptor that runs an armed action once, inside the next COMMIT (after the writes, before COMMIT is sent).</summary>
public sealed class CommitHook : DbTransactionInterceptor
{
    private Func<CancellationToken, Task>? _armed;

    /// <summary>Runs <paramref name="action"/> in the next transaction's COMMIT, once.</summary>
    public void Arm(Func<CancellationToken, Task> action) => Volatile.Write(ref _armed, action);

    public void Disarm() => Volatile.Write(ref _armed, null);

    public override async ValueTask<InterceptionResult> TransactionCommittingAsync(
        System.Data.Common.DbTransaction transaction, TransactionEventData eventData, InterceptionResult result, CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _armed, null) is { } action) await action(cancellationToken);
        return result;
    }
}
