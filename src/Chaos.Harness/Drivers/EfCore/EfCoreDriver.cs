using Chaos.Harness.History;
using Chaos.Harness.Profiles;
using Chaos.Harness.Workload;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Internal;
using Npgsql;

namespace Chaos.Harness.Drivers.EfCore;

/// <summary>
/// The simulated application on EF Core: one NpgsqlDataSource (the pool) per app instance under a
/// <see cref="ChaosDbContext"/>, a context per request (or rented from a context pool), and the profile's
/// EF execution strategy around every request, the way a service's repository layer written with EF does it.
/// </summary>
/// <remarks>
/// A write is the same two inserts under one id in one transaction as on plain Npgsql: with no strategy or
/// with <c>EnableRetryOnFailure()</c>, EF's documented pattern (<c>strategy.ExecuteAsync</c> around
/// <c>BeginTransaction</c>, two SaveChanges, Commit); with the verified strategy,
/// <c>ExecuteInTransactionAsync</c> with a <c>verifySucceeded</c> that looks for the write's rows. The
/// database fills txid and the backend's pid on insert, and EF reads them back.
/// </remarks>
internal sealed class EfCoreDriver : IAppDriver
{
    private readonly EfCoreUsage _usage;
    private readonly AppDataSource[] _sources;
    private readonly Func<ChaosDbContext>[] _contexts;
    private readonly Profile _profile;
    private readonly HistoryRecorder _history;
    private BackgroundHealthCheck? _healthCheck;

    public EfCoreDriver(Profile profile, EfCoreUsage usage, IReadOnlyList<string> connectionStrings, HistoryRecorder history)
    {
        _profile = profile;
        _history = history;
        _usage = usage;
        _sources = [.. connectionStrings.Select(AppDataSource.Create)];
        _contexts = [.. _sources.Select(s => Factory(s.Source))];
    }

    public Hooks Hooks { get; } = new();

    public async Task StartAsync(CancellationToken ct) =>
        _healthCheck = await BackgroundHealthCheck.StartAsync(_profile.HealthCheck, _sources[0].Source, _history, ct);

    public async Task ExecuteAsync(Request request, CancellationToken ct)
    {
        await using var context = _contexts[request.Instance]();
        context.Request = request;
        try
        {
            await (request.Kind switch
            {
                OpKind.Write => WriteAsync(context, request, ct),
                OpKind.ReadYourWrite => WriteThenReadAsync(context, request, ct),
                _ => OnceAsync(context, request, ct),
            });
        }
        finally
        {
            context.Request = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_healthCheck is not null)
        {
            await _healthCheck.DisposeAsync();
        }
        foreach (var source in _sources)
        {
            await source.DisposeAsync();
        }
    }

    private Func<ChaosDbContext> Factory(NpgsqlDataSource source)
    {
        var options = new DbContextOptionsBuilder<ChaosDbContext>()
            .UseNpgsql(source, npgsql =>
            {
                if (_usage.Retry != EfCoreRetry.None)
                {
                    npgsql.ExecutionStrategy(dependencies => new ScaledRetryingStrategy(dependencies, (e, attempt) =>
                        _history.Note(TimelineKinds.Retry, $"EF Core's strategy runs attempt {attempt} after {OutcomeClassifier.Describe(e)}", OutcomeClassifier.SqlState(e))));
                }
            })
            .AddInterceptors(new CommitInterceptor(Hooks))
            // Every cell has data sources of its own, so EF Core builds an internal service provider per cell; past
            // twenty in one process EF Core 8 refuses the next context (InvalidOperationException on every request).
            // An application has one; the matrix has one per EF Core cell, cached for the process (about a hundred).
            .ConfigureWarnings(w => w.Ignore(Microsoft.EntityFrameworkCore.Diagnostics.CoreEventId.ManyServiceProvidersCreatedWarning))
            .Options;
        if (!_usage.PooledContext)
        {
            return () => new ChaosDbContext(options);
        }
        // Pooled contexts hold no connection between requests (EF closes it after each operation), so the
        // pool needs no teardown of its own: the data sources below are what hold connections.
        var pool = new PooledDbContextFactory<ChaosDbContext>(options);
        return pool.CreateDbContext;
    }

    /// <summary>Reads, large reads, held sessions: one attempt each (EF's strategy retries only what goes through it).</summary>
    private static async Task OnceAsync(ChaosDbContext context, Request request, CancellationToken ct)
    {
        var strategy = context.Database.CreateExecutionStrategy();
        await strategy.ExecuteAsync(async token =>
        {
            request.BeginAttempt();
            try
            {
                request.Stage = Stage.Working;
                await (request.Kind switch
                {
                    OpKind.Read => ReadAsync(context, request, token),
                    OpKind.LargeRead => LargeReadAsync(context, request, token),
                    OpKind.Hold => HoldAsync(context, token),
                    _ => throw new NotSupportedException($"the EF Core driver does not run {request.Kind} requests"),
                });
            }
            catch
            {
                request.FailAttempt();
                throw;
            }
        }, ct);
    }

    private async Task WriteAsync(ChaosDbContext context, Request request, CancellationToken ct)
    {
        var strategy = context.Database.CreateExecutionStrategy();
        if (_usage.Retry == EfCoreRetry.Verified)
        {
            await strategy.ExecuteInTransactionAsync(
                token => InsertBothAsync(context, request, token),
                token => context.Writes.AsNoTracking().AnyAsync(w => w.WriteId == request.WriteId, token),
                ct);
            return;
        }
        await strategy.ExecuteAsync(async token =>
        {
            await using var transaction = await context.Database.BeginTransactionAsync(token);
            await InsertBothAsync(context, request, token);
            await transaction.CommitAsync(token);
        }, ct);
    }

    /// <summary>A write, then its own rows read back through the same context (EF profiles read from the primary).</summary>
    private async Task WriteThenReadAsync(ChaosDbContext context, Request request, CancellationToken ct)
    {
        await WriteAsync(context, request, ct);
        var rows = await context.Writes.AsNoTracking().CountAsync(w => w.WriteId == request.WriteId, ct);
        if (rows < 2)
        {
            request.Violation = $"{Violations.StaleRead}: the read right after op {request.Id}'s acknowledged write found {rows} of its 2 rows";
        }
    }

    /// <summary>One attempt's two inserts, with the AfterWrite strike point between them; the commit is the caller's.</summary>
    private async Task InsertBothAsync(ChaosDbContext context, Request request, CancellationToken ct)
    {
        request.BeginAttempt();
        try
        {
            // A strategy that runs this again must not find the failed attempt's rows still tracked.
            context.ChangeTracker.Clear();
            request.Stage = Stage.Working;
            var first = new WriteRow { WriteId = request.WriteId!.Value, Part = 1, Attempt = request.Attempts };
            context.Writes.Add(first);
            await context.SaveChangesAsync(ct);
            request.Txid = first.Txid;
            request.BackendPid = first.Backend;
            await Hooks.ReachAsync(HookPoint.AfterWrite, request, ct);
            context.Writes.Add(new WriteRow { WriteId = request.WriteId!.Value, Part = 2, Attempt = request.Attempts });
            await context.SaveChangesAsync(ct);
        }
        catch
        {
            request.FailAttempt();
            throw;
        }
    }

    private static async Task ReadAsync(ChaosDbContext context, Request request, CancellationToken ct)
    {
        var n = (int)(request.Id % 1_000_000);
        var result = await context.Database.SqlQuery<int>($"SELECT {n}::int + 1 AS \"Value\"").SingleAsync(ct);
        if (result != n + 1)
        {
            request.Violation = $"read returned {result}, not its own answer";
        }
    }

    private static async Task LargeReadAsync(ChaosDbContext context, Request request, CancellationToken ct)
    {
        var rows = await context.Database
            .SqlQuery<string>($"SELECT repeat('x', {WorkloadSpec.LargeReadWidth}) AS \"Value\" FROM generate_series(1, {WorkloadSpec.LargeReadRows})")
            .ToListAsync(ct);
        if (rows.Count != WorkloadSpec.LargeReadRows || rows.Any(r => r.Length != WorkloadSpec.LargeReadWidth))
        {
            request.Violation = $"large read returned {rows.Count} of {WorkloadSpec.LargeReadRows} rows (or a row cut short) without an error";
        }
    }

    private static async Task HoldAsync(ChaosDbContext context, CancellationToken ct)
    {
        await context.Database.OpenConnectionAsync(ct);
        try
        {
            await context.Database.ExecuteSqlRawAsync("SELECT 1", ct);
            await Task.Delay(WorkloadSpec.HoldFor, ct);
            await context.Database.ExecuteSqlRawAsync("SELECT 1", ct);
        }
        finally
        {
            await context.Database.CloseConnectionAsync();
        }
    }
}
