using System.Diagnostics;
using Chaos.Harness.Profiles;
using Chaos.Harness.Servers;
using Npgsql;

namespace Chaos.Harness.Matrix;

/// <summary>What a run of sequential requests under a profile cost, counted by the server and timed by the client.</summary>
/// <param name="Statements">Committed transactions the server counted (one per autocommit statement).</param>
/// <param name="Sessions">Server sessions opened.</param>
/// <param name="MsPerRequest">Client time per request, pauses excluded.</param>
internal sealed record Cost(long Statements, long Sessions, double MsPerRequest, TimeSpan Elapsed);

/// <summary>
/// The costs behind the claims (validation per checkout, a handshake per request without pooling,
/// handshakes from recycling): <paramref name="requests"/> sequential SELECTs through the profile's
/// checkout policy, with the server's own counters before and after. Used by the claims tests (as
/// mechanisms: statements, sessions) and by `chaos bench claims` (as figures).
/// </summary>
internal static class CostMeasurement
{
    public static async Task<Cost> MeasureAsync(IPostgresServer server, Profile profile, int requests, TimeSpan? pause, CancellationToken ct)
    {
        var app = $"cost-{profile.Name}-{Guid.NewGuid():N}"[..40];
        var before = await CountersAsync(server, ct);
        var clock = Stopwatch.StartNew();
        await using (var source = NpgsqlDataSource.Create(profile.ConnectionString(server.AppConnectionString, app)))
        {
            for (var i = 0; i < requests; i++)
            {
                await using var connection = await profile.Checkout.RentAsync(source, _ => { }, ct);
                await using var cmd = new NpgsqlCommand("SELECT 1", connection);
                await cmd.ExecuteScalarAsync(ct);
                if (pause is { } p)
                {
                    await Task.Delay(p, ct);
                }
            }
        }
        var elapsed = clock.Elapsed;
        var after = await CountersAsync(server, ct);
        var work = elapsed - (pause ?? TimeSpan.Zero) * requests;
        return new Cost(after.Statements - before.Statements, after.Sessions - before.Sessions, work.TotalMilliseconds / requests, elapsed);
    }

    /// <summary>Committed transactions and sessions opened for the app database, once the statistics have settled.</summary>
    private static async Task<(long Statements, long Sessions)> CountersAsync(IPostgresServer server, CancellationToken ct)
    {
        await using var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server.AdminConnectionString) { Pooling = false }.ConnectionString);
        await admin.OpenAsync(ct);
        await using (var flush = new NpgsqlCommand("SELECT pg_stat_force_next_flush(); SELECT pg_stat_clear_snapshot()", admin))
        {
            await flush.ExecuteNonQueryAsync(ct);
        }
        // Statistics reach pg_stat_database when a session ends or flushes: poll (bounded) until two reads agree.
        (long, long) last = default;
        for (var i = 0; i < 20; i++)
        {
            await using (var cmd = new NpgsqlCommand("SELECT xact_commit, sessions FROM pg_stat_database WHERE datname = @db", admin))
            {
                cmd.Parameters.AddWithValue("db", server.Database);
                await using var reader = await cmd.ExecuteReaderAsync(ct);
                await reader.ReadAsync(ct);
                var now = (reader.GetInt64(0), reader.GetInt64(1));
                if (now == last)
                {
                    return now;
                }
                last = now;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(600), ct);
            await using var clear = new NpgsqlCommand("SELECT pg_stat_clear_snapshot()", admin);
            await clear.ExecuteNonQueryAsync(ct);
        }
        return last;
    }
}
