using Npgsql;

namespace Chaos.Harness.Profiles.Policies;

/// <summary>
/// Pings every rented connection with SELECT 1; when the ping fails, clears the pool and rents once more,
/// as SQLAlchemy invalidates the whole pool when pool_pre_ping meets a disconnect. Without the clear, the
/// failed ping retired only its own connection: in idle-backends-killed a worker that resumed before the
/// others once rented a second killed connection and its request failed with 57P01.
/// </summary>
internal sealed class ValidateOnCheckout : ICheckoutPolicy
{
    public string Name => "validate";
    public bool Validates => true;

    public async Task<NpgsqlConnection> RentAsync(NpgsqlDataSource source, Action<Exception> broken, CancellationToken ct)
    {
        var connection = await source.OpenConnectionAsync(ct);
        try
        {
            await using var ping = new NpgsqlCommand("SELECT 1", connection);
            await ping.ExecuteScalarAsync(ct);
            return connection;
        }
        catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException)
        {
            broken(e);
            NpgsqlConnection.ClearPool(connection);
            await connection.DisposeAsync();
        }
        connection = await source.OpenConnectionAsync(ct);
        try
        {
            await using var again = new NpgsqlCommand("SELECT 1", connection);
            await again.ExecuteScalarAsync(ct);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }
}
