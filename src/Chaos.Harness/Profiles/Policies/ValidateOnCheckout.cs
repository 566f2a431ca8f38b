using Npgsql;

namespace Chaos.Harness.Profiles.Policies;

/// <summary>
/// Pings every rented connection with SELECT 1. When the ping fails it clears the pool, as SQLAlchemy
/// invalidates the whole pool when pool_pre_ping meets a disconnect, and rents again until a ping answers,
/// as HikariCP's getConnection discards dead connections until it finds a live one. Renting only once more
/// was not enough: in idle-backends-killed, 4 workers resuming at once met 4 killed connections, and a
/// worker's second rent still got a killed one that the other workers' clears had not yet closed (57P01).
/// A pool holds at most Maximum Pool Size connections, so that many failed pings plus one bound the loop;
/// a failed open (the server is down) is not a dead pooled connection and ends it at once.
/// </summary>
internal sealed class ValidateOnCheckout : ICheckoutPolicy
{
    public string Name => "validate";
    public bool Validates => true;

    public async Task<NpgsqlConnection> RentAsync(NpgsqlDataSource source, Action<Exception> broken, CancellationToken ct)
    {
        var attempts = new NpgsqlConnectionStringBuilder(source.ConnectionString).MaxPoolSize + 1;
        for (var attempt = 1; ; attempt++)
        {
            var connection = await source.OpenConnectionAsync(ct);
            try
            {
                await using var ping = new NpgsqlCommand("SELECT 1", connection);
                await ping.ExecuteScalarAsync(ct);
                return connection;
            }
            catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException && attempt < attempts)
            {
                broken(e);
                NpgsqlConnection.ClearPool(connection);
                await connection.DisposeAsync();
            }
            catch
            {
                await connection.DisposeAsync();
                throw;
            }
        }
    }
}
