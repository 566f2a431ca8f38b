using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Orders.Api;

/// <summary>What a client posts.</summary>
public sealed record NewOrder(string Item, int Quantity);

/// <summary>An order; <see cref="IdempotencyKey"/> is unique, so one client request makes at most one order.</summary>
public sealed class Order
{
    public Guid Id { get; set; }
    public required string Item { get; set; }
    public int Quantity { get; set; }
    public required string IdempotencyKey { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

public sealed class OrdersDb(DbContextOptions<OrdersDb> options) : DbContext(options)
{
    public DbSet<Order> Orders => Set<Order>();

    protected override void OnModelCreating(ModelBuilder model) =>
        model.Entity<Order>().HasIndex(o => o.IdempotencyKey).IsUnique();
}

public static class OrderWrites
{
    /// <summary>One transaction, no retry: a broken connection fails the request.</summary>
    public static async Task<Order> CreateAsync(OrdersDb db, NewOrder request, string key, CancellationToken ct)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var order = New(request, key);
        db.Orders.Add(order);
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return order;
    }

    /// <summary>
    /// The transaction under EF Core's retrying strategy. A COMMIT whose answer was lost may have happened, so
    /// before a rerun the strategy asks <c>verifySucceeded</c> whether the order is there (by its key); and a
    /// request whose key already made an order gets that order back instead of a second one.
    /// </summary>
    public static async Task<Order> CreateIdempotentlyAsync(OrdersDb db, NewOrder request, string key, CancellationToken ct)
    {
        var strategy = db.Database.CreateExecutionStrategy();
        return await strategy.ExecuteInTransactionAsync(
            (db, request, key),
            async (state, token) =>
            {
                state.db.ChangeTracker.Clear(); // a rerun starts from nothing the failed attempt tracked
                if (await state.db.Orders.AsNoTracking().SingleOrDefaultAsync(o => o.IdempotencyKey == state.key, token) is { } existing) return existing;
                var order = New(state.request, state.key);
                state.db.Orders.Add(order);
                await state.db.SaveChangesAsync(token);
                return order;
            },
            async (state, token) => await state.db.Orders.AsNoTracking().AnyAsync(o => o.IdempotencyKey == state.key, token),
            ct);
    }

    /// <summary>The database or the connection to it failed (after the strategy's retries, when there are any).</summary>
    public static bool IsDatabaseFailure(Exception e) =>
        e is DbException or DbUpdateException or TimeoutException or EndOfStreamException or IOException
        || (e is InvalidOperationException && e.InnerException is not null && IsDatabaseFailure(e.InnerException))
        || e is RetryLimitExceededException;

    private static Order New(NewOrder request, string key) => new()
    {
        Id = Guid.NewGuid(),
        Item = request.Item,
        Quantity = request.Quantity,
        IdempotencyKey = key,
        CreatedAt = DateTimeOffset.UtcNow,
    };
}
