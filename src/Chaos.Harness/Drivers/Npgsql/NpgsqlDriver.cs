using Chaos.Harness.Profiles.Policies;
using Chaos.Harness.History;
using Chaos.Harness.Profiles;
using Chaos.Harness.Workload;
using Npgsql;

namespace Chaos.Harness.Drivers.Npgsql;

/// <summary>
/// The simulated application's database access on plain Npgsql: one data source per app instance, with
/// the profile's checkout and retry policies around every request, as a service's repository layer has.
/// </summary>
internal sealed class NpgsqlDriver : IAppDriver, IRetryContext
{
    private static readonly TimeSpan ResolveEvery = TimeSpan.FromMilliseconds(100);

    private readonly Profile _profile;
    private readonly HistoryRecorder _history;
    private readonly AppDataSource[] _sources;
    private readonly AppDataSource[]? _readSources;
    private BackgroundHealthCheck? _healthCheck;

    /// <param name="connectionStrings">One per app instance: each gets its own pool.</param>
    /// <param name="readConnectionStrings">When reads have a data source of their own (a standby), one per app instance.</param>
    public NpgsqlDriver(Profile profile, IReadOnlyList<string> connectionStrings, IReadOnlyList<string>? readConnectionStrings, HistoryRecorder history)
    {
        _profile = profile;
        _history = history;
        _sources = [.. connectionStrings.Select(AppDataSource.Create)];
        _readSources = readConnectionStrings is null ? null : [.. readConnectionStrings.Select(AppDataSource.Create)];
    }

    public async Task StartAsync(CancellationToken ct) =>
        _healthCheck = await BackgroundHealthCheck.StartAsync(_profile.HealthCheck, _sources[0].Source, _history, ct);

    public Hooks Hooks { get; } = new();

    public Task ExecuteAsync(Request request, CancellationToken ct) =>
        _profile.Retry.ExecuteAsync(request, t => AttemptAsync(request, t), this, ct);

    /// <summary>Rents a connection of <paramref name="instance"/>'s pool under the profile's checkout policy.</summary>
    public Task<NpgsqlConnection> OpenAsync(int instance, CancellationToken ct) =>
        _profile.Checkout.RentAsync(_sources[instance].Source, e =>
            _history.Note(TimelineKinds.Broken, $"validation on checkout caught a dead connection: {OutcomeClassifier.Describe(e)}", OutcomeClassifier.SqlState(e)), ct);

    public void Note(string kind, string detail, string? sqlState = null) => _history.Note(kind, detail, sqlState);

    public void ClearPool(int instance) => _sources[instance].Clear();

    public async Task<string?> ResolveCommitAsync(Request request, CancellationToken ct)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bound.CancelAfter(Timing.SettleUnknownCommitFor);
        try
        {
            while (true)
            {
                try
                {
                    await using var connection = await _sources[request.Instance].Source.OpenConnectionAsync(bound.Token);
                    if (await StillInProgressAsync(connection, request.Txid!.Value, bound.Token))
                    {
                        await Task.Delay(ResolveEvery, bound.Token);
                        continue;
                    }
                    await using var rows = new NpgsqlCommand("SELECT count(*)::int FROM writes WHERE write_id = @id", connection);
                    rows.Parameters.AddWithValue("id", request.WriteId!.Value);
                    return (int)(await rows.ExecuteScalarAsync(bound.Token))! > 0 ? "committed" : "aborted";
                }
                catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException && !bound.IsCancellationRequested)
                {
                    // The server may still be coming back: try again until the bound.
                    await Task.Delay(ResolveEvery, bound.Token);
                }
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>txid_status() says "in progress"; an id the server no longer knows (lost with a crash) is not in progress.</summary>
    private static async Task<bool> StillInProgressAsync(NpgsqlConnection connection, long txid, CancellationToken ct)
    {
        try
        {
            await using var cmd = new NpgsqlCommand("SELECT txid_status(@txid)", connection);
            cmd.Parameters.AddWithValue("txid", txid);
            return await cmd.ExecuteScalarAsync(ct) is "in progress";
        }
        catch (PostgresException)
        {
            return false; // "transaction ID ... is in the future": recovery never saw it
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_healthCheck is not null)
        {
            await _healthCheck.DisposeAsync();
        }
        foreach (var source in _sources.Concat(_readSources ?? []))
        {
            await source.DisposeAsync();
        }
    }

    private async Task AttemptAsync(Request request, CancellationToken ct)
    {
        request.BeginAttempt();
        try
        {
            if (request.Kind == OpKind.Read && _readSources is { } reads)
            {
                await using var readConnection = await _profile.Checkout.RentAsync(reads[request.Instance].Source, _ => { }, ct);
                request.Stage = Stage.Working;
                await NpgsqlRequests.ReadAsync(readConnection, request, ct);
                return;
            }
            await using var connection = await OpenAsync(request.Instance, ct);
            request.Stage = Stage.Working;
            if (request.Kind == OpKind.ReadYourWrite)
            {
                await NpgsqlRequests.WriteAsync(connection, request, Hooks, ct);
                await using var readConnection = _readSources is { } readSources
                    ? await _profile.Checkout.RentAsync(readSources[request.Instance].Source, _ => { }, ct)
                    : await OpenAsync(request.Instance, ct);
                await NpgsqlRequests.ReadOwnWriteAsync(readConnection, request, ct);
                return;
            }
            await (request.Kind switch
            {
                OpKind.Read => NpgsqlRequests.ReadAsync(connection, request, ct),
                OpKind.Write => NpgsqlRequests.WriteAsync(connection, request, Hooks, ct),
                OpKind.LargeRead => NpgsqlRequests.LargeReadAsync(connection, request, ct),
                OpKind.SessionState => NpgsqlRequests.SessionStateAsync(connection, request, request.Tenant, ct),
                OpKind.Hold => NpgsqlRequests.HoldAsync(connection, ct),
                _ => throw new ArgumentOutOfRangeException(nameof(request), request.Kind, null),
            });
        }
        catch
        {
            request.FailAttempt();
            throw;
        }
    }
}
