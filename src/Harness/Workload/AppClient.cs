using Chaos.Harness.Checking;
using Chaos.Harness.Profiles;
using Npgsql;
using Polly;
using Polly.Retry;

namespace Chaos.Harness.Workload;

/// <summary>
/// The simulated application's database access: one Npgsql data source per app instance, plus the
/// profile's client-side policy (validation on checkout, retry). Every request goes through
/// <see cref="ExecuteAsync"/>, exactly as a service's repository layer would.
/// </summary>
internal sealed class AppClient : IAsyncDisposable
{
    private const int MaxRetryAttempts = 3;
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan ResolveFor = TimeSpan.FromSeconds(3);

    private readonly Profile _profile;
    private readonly Ledger _ledger;
    private readonly NpgsqlDataSource[] _sources;
    private readonly ResiliencePipeline _retry;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _healthCheck = Task.CompletedTask;
    private static readonly TimeSpan HealthCheckEvery = TimeSpan.FromMilliseconds(500);

    public AppClient(Profile profile, IReadOnlyList<string> connectionStrings, Ledger ledger)
    {
        _profile = profile;
        _ledger = ledger;
        _sources = [.. connectionStrings.Select(cs => NpgsqlDataSource.Create(cs))];
        _retry = profile.Retry switch
        {
            RetryKind.Naive => Pipeline(OutcomeClassifier.IsTransientForNaiveRetry),
            RetryKind.Idempotent => Pipeline(e => e is CommitAbortedException || e is not CommitUnknownException && OutcomeClassifier.IsRetryable(e)),
            _ => ResiliencePipeline.Empty,
        };
        if (profile.BackgroundHealthCheck)
        {
            _healthCheck = Task.Run(HealthCheckAsync);
        }
    }

    public int Instances => _sources.Length;

    /// <summary>Runs one request under the profile's policy; throws what the application would see.</summary>
    public async Task ExecuteAsync(OpRecord op, Func<NpgsqlConnection, OpRecord, CancellationToken, Task> body, CancellationToken ct)
    {
        if (_profile.Retry != RetryKind.Idempotent)
        {
            await _retry.ExecuteAsync(async t => await AttemptAsync(op, body, t), ct);
            return;
        }

        await _retry.ExecuteAsync(async t =>
        {
            try
            {
                await AttemptAsync(op, body, t);
            }
            catch (Exception e) when (op.Stage == Stage.Committing && op.Txid is { } txid && e is not OperationCanceledException)
            {
                // The COMMIT may have happened: ask the server before deciding to run the transaction again.
                var status = await ResolveAsync(op.Instance, txid, t);
                _ledger.Note("note", $"op {op.Id}: unknown COMMIT of txid {txid} resolved as {status ?? "unresolved"}");
                switch (status)
                {
                    case "committed":
                        return;
                    case "aborted":
                        throw new CommitAbortedException(e);
                    default:
                        // Unresolved: it may have committed, so running it again could apply it twice.
                        throw new CommitUnknownException(e);
                }
            }
        }, ct);
    }

    /// <summary>Rents a connection; with validation on checkout, pings it and rents once more if the ping fails.</summary>
    public async Task<NpgsqlConnection> OpenAsync(int instance, CancellationToken ct)
    {
        var source = _sources[instance];
        var connection = await source.OpenConnectionAsync(ct);
        if (!_profile.ValidateOnCheckout || await PingAsync(connection, ct))
        {
            return connection;
        }
        await connection.DisposeAsync();
        // A failed ping broke the connector (and a network error cleared the pool), so this rent is fresh.
        connection = await source.OpenConnectionAsync(ct);
        await using var cmd = new NpgsqlCommand("SELECT 1", connection);
        await cmd.ExecuteScalarAsync(ct);
        return connection;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _healthCheck;
        _stop.Dispose();
        foreach (var source in _sources)
        {
            await source.DisposeAsync();
        }
    }

    private async Task AttemptAsync(OpRecord op, Func<NpgsqlConnection, OpRecord, CancellationToken, Task> body, CancellationToken ct)
    {
        op.Attempts++;
        op.Stage = Stage.Connecting;
        op.Txid = null;
        try
        {
            await using var connection = await OpenAsync(op.Instance, ct);
            op.Stage = Stage.Working;
            await body(connection, op, ct);
        }
        catch
        {
            op.AttemptFailed();
            throw;
        }
    }

    private async Task HealthCheckAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                await Task.Delay(HealthCheckEvery, _stop.Token);
                try
                {
                    await using var connection = await _sources[0].OpenConnectionAsync(_stop.Token);
                    await using var cmd = new NpgsqlCommand("SELECT 1", connection);
                    await cmd.ExecuteScalarAsync(_stop.Token);
                }
                catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException or ObjectDisposedException)
                {
                    _ledger.Note("broken", $"the background health check failed: {OutcomeClassifier.Describe(e)}", OutcomeClassifier.SqlState(e));
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task<bool> PingAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        try
        {
            await using var cmd = new NpgsqlCommand("SELECT 1", connection);
            await cmd.ExecuteScalarAsync(ct);
            return true;
        }
        catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException)
        {
            _ledger.Note("broken", $"validation on checkout caught a dead connection: {OutcomeClassifier.Describe(e)}", OutcomeClassifier.SqlState(e));
            return false;
        }
    }

    /// <summary>txid_status() on a fresh connection, polling while the server still has the transaction in progress.</summary>
    private async Task<string?> ResolveAsync(int instance, long txid, CancellationToken ct)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bound.CancelAfter(ResolveFor);
        while (true)
        {
            try
            {
                await using var connection = await _sources[instance].OpenConnectionAsync(bound.Token);
                await using var cmd = new NpgsqlCommand("SELECT txid_status(@txid)", connection);
                cmd.Parameters.AddWithValue("txid", txid);
                var status = await cmd.ExecuteScalarAsync(bound.Token) as string;
                if (status != "in progress")
                {
                    return status;
                }
            }
            catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException && !bound.IsCancellationRequested)
            {
                // The server may still be coming back: try again until the bound.
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return null;
            }
            try
            {
                await Task.Delay(RetryDelay, bound.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return null;
            }
        }
    }

    private ResiliencePipeline Pipeline(Func<Exception, bool> shouldRetry) =>
        new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(shouldRetry),
                MaxRetryAttempts = MaxRetryAttempts,
                BackoffType = DelayBackoffType.Exponential,
                Delay = RetryDelay,
                UseJitter = false, // deterministic: the seed of a run replays it exactly
                OnRetry = args =>
                {
                    if (args.Outcome.Exception is { } e)
                    {
                        _ledger.Note("retry", $"attempt {args.AttemptNumber + 1} after {OutcomeClassifier.Describe(e)}", OutcomeClassifier.SqlState(e));
                    }
                    return default;
                },
            })
            .Build();

    /// <summary>A COMMIT whose outcome was unknown, resolved as aborted: safe to run the transaction again.</summary>
    private sealed class CommitAbortedException(Exception inner) : Exception("COMMIT resolved as aborted", inner);

    /// <summary>A COMMIT whose outcome txid_status() could not settle in time: never retried, reported as unknown.</summary>
    private sealed class CommitUnknownException(Exception inner) : Exception("COMMIT outcome could not be resolved", inner);
}
