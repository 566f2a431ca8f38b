using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Orders.Api;

// A small orders service: POST /orders creates an order in a transaction, GET /orders/{id} reads it.
// "Orders:Resilient" chooses how it meets a broken connection:
//   false: the request fails (503) and nothing is written;
//   true:  EF Core's EnableRetryOnFailure reruns the transaction, and the client's Idempotency-Key makes the
//          rerun (and a client's own retry) find the order instead of writing it twice.
var builder = WebApplication.CreateBuilder(args);
// Configuration is read when a DbContext is made, not here: a host (WebApplicationFactory) may add its own.
static bool Resilient(IConfiguration configuration) => configuration.GetValue<bool>("Orders:Resilient");
builder.Services.AddDbContext<OrdersDb>((services, options) =>
{
    var configuration = services.GetRequiredService<IConfiguration>();
    options.UseNpgsql(configuration.GetConnectionString("Orders"), npgsql =>
    {
        if (Resilient(configuration)) npgsql.EnableRetryOnFailure(maxRetryCount: 6, maxRetryDelay: TimeSpan.FromSeconds(1), errorCodesToAdd: null);
    });
    // Interceptors registered by the host (the chaos tests' hook) join EF Core's own.
    options.AddInterceptors(services.GetServices<IInterceptor>());
});

var app = builder.Build();

app.MapPost("/orders", async (NewOrder request, HttpRequest http, OrdersDb db, IConfiguration configuration, CancellationToken ct) =>
{
    var resilient = Resilient(configuration);
    var key = http.Headers["Idempotency-Key"].FirstOrDefault() ?? Guid.NewGuid().ToString("N");
    try
    {
        var order = resilient ? await OrderWrites.CreateIdempotentlyAsync(db, request, key, ct) : await OrderWrites.CreateAsync(db, request, key, ct);
        return Results.Created($"/orders/{order.Id}", order);
    }
    catch (Exception e) when (OrderWrites.IsDatabaseFailure(e))
    {
        return Results.Problem("the database connection failed; the order was not created", statusCode: StatusCodes.Status503ServiceUnavailable);
    }
});

app.MapGet("/orders/{id:guid}", async (Guid id, OrdersDb db, CancellationToken ct) =>
    await db.Orders.AsNoTracking().SingleOrDefaultAsync(o => o.Id == id, ct) is { } order ? Results.Ok(order) : Results.NotFound());

app.Run();

/// <summary>The entry point, visible to WebApplicationFactory.</summary>
public partial class Program;
