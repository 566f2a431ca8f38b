using System.Data;
using Chaos.Harness.Servers;
using Npgsql;

namespace Chaos.Harness.Workload;

/// <summary>
/// One superuser session on the application's database for a cell's checks after its workload stopped (leftover
/// sessions, leftover connections, the final read), opened at the first of them: each new session is a backend
/// process, about 25 ms of CPU on the 2-core VM. A query that finds the session ended (idle_session_timeout during
/// the drain, say) runs once more on a new one; every query here only reads.
/// </summary>
internal sealed class AdminSession(Func<IPostgresServer> server) : IAsyncDisposable
{
    private NpgsqlConnection? _connection;

    public IPostgresServer Server => server();

    public async Task<T> RunAsync<T>(Func<NpgsqlConnection, Task<T>> query, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            _connection ??= await WorkloadDatabase.OpenAsync(server(), ct);
            try
            {
                return await query(_connection);
            }
            catch (NpgsqlException) when (attempt == 1 && Ended(_connection))
            {
                await _connection.DisposeAsync();
                _connection = null;
            }
        }
    }

    private static bool Ended(NpgsqlConnection connection) =>
        connection.FullState.HasFlag(ConnectionState.Broken) || connection.State == ConnectionState.Closed;

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
            _connection = null;
        }
    }
}
