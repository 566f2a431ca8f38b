using Chaos.Harness.History;
using Chaos.Harness.Servers;
using Npgsql;

namespace Chaos.Harness.Workload;

/// <summary>
/// The workload's data on a server, over the harness's own superuser connection: the schema every cell
/// gets before the workload starts, the final read the checkers judge, and the sessions the application
/// left behind.
/// </summary>
internal static class WorkloadDatabase
{
    /// <summary>The writes table (and one schema per tenant for session-state workloads), granted to the app role.</summary>
    public static async Task CreateAsync(IPostgresServer server, WorkloadSpec spec, CancellationToken ct)
    {
        var tenants = Enumerable.Range(0, spec.Tenants).ToList();
        var sql =
            """
            CREATE TABLE writes (
                write_id uuid NOT NULL,
                part int NOT NULL,
                attempt int NOT NULL,
                txid bigint NOT NULL DEFAULT txid_current(),
                backend int NOT NULL DEFAULT pg_backend_pid(),
                at timestamptz NOT NULL DEFAULT clock_timestamp()
            );
            """
            + string.Concat(tenants.Select(t =>
                $"CREATE SCHEMA tenant_{t}; CREATE TABLE tenant_{t}.marker (owner int NOT NULL); INSERT INTO tenant_{t}.marker VALUES ({t});"))
            + $"GRANT ALL ON writes TO \"{server.AppUser}\";"
            + string.Concat(tenants.Select(t =>
                $"GRANT USAGE ON SCHEMA tenant_{t} TO \"{server.AppUser}\"; GRANT SELECT ON tenant_{t}.marker TO \"{server.AppUser}\";"));
        await using var admin = await OpenAsync(server, ct);
        await using var cmd = new NpgsqlCommand(sql, admin);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Drops what <see cref="CreateAsync"/> creates, for a server handed to the next cell (<see cref="ServerShelf"/>).</summary>
    public const string DropSql =
        """
        DROP TABLE IF EXISTS writes;
        DO $$
        DECLARE tenant text;
        BEGIN
          FOR tenant IN SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tenant\_%' LOOP
            EXECUTE format('DROP SCHEMA %I CASCADE', tenant);
          END LOOP;
        END $$;
        """;

    /// <summary>How many rows of each part of each write the database holds.</summary>
    public static Task<IReadOnlyList<WriteRows>> ReadWritesAsync(AdminSession session, CancellationToken ct) =>
        session.RunAsync<IReadOnlyList<WriteRows>>(async admin =>
        {
            await using var cmd = new NpgsqlCommand("SELECT write_id, part, count(*)::int FROM writes GROUP BY write_id, part", admin);
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            var rows = new List<WriteRows>();
            while (await reader.ReadAsync(ct))
            {
                rows.Add(new WriteRows(reader.GetGuid(0), reader.GetInt32(1), reader.GetInt32(2)));
            }
            return rows;
        }, ct);

    /// <summary>The app role's sessions idle in transaction, and those holding advisory locks; (0, 0) when the server cannot be asked.</summary>
    public static async Task<(int IdleInTransaction, int HoldingLocks)> LeftoverSessionsAsync(AdminSession session, CancellationToken ct)
    {
        try
        {
            return await session.RunAsync(async admin =>
            {
                await using var cmd = new NpgsqlCommand(
                    """
                    SELECT
                      (SELECT count(*)::int FROM pg_stat_activity WHERE usename = @user AND state LIKE 'idle in transaction%'),
                      (SELECT count(DISTINCT l.pid)::int FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                        WHERE a.usename = @user AND l.locktype = 'advisory' AND l.granted)
                    """, admin);
                cmd.Parameters.AddWithValue("user", session.Server.AppUser);
                await using var reader = await cmd.ExecuteReaderAsync(ct);
                await reader.ReadAsync(ct);
                return (reader.GetInt32(0), reader.GetInt32(1));
            }, ct);
        }
        catch (NpgsqlException)
        {
            return (0, 0);
        }
    }

    /// <summary>
    /// Waits (bounded) for the application's backends to go once its pools are disposed; returns how many did not.
    /// It polls on the cell's one admin session: a new session per look would cost a backend process each, and a
    /// cell can look forty times.
    /// </summary>
    public static async Task<int> LeftoverConnectionsAsync(AdminSession session, string applicationName, CancellationToken ct)
    {
        var bound = DateTime.UtcNow + TimeSpan.FromSeconds(2);
        while (true)
        {
            var left = await session.RunAsync(async admin =>
            {
                await using var cmd = new NpgsqlCommand(
                    "SELECT count(*)::int FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() " +
                    "AND datname = current_database() AND application_name = @app", admin);
                cmd.Parameters.AddWithValue("app", applicationName);
                return (int)(await cmd.ExecuteScalarAsync(ct))!;
            }, ct);
            if (left == 0 || DateTime.UtcNow > bound)
            {
                return left;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(50), ct);
        }
    }

    internal static async Task<NpgsqlConnection> OpenAsync(IPostgresServer server, CancellationToken ct)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server.AdminConnectionString)
        {
            Database = server.Database, // the app's database: the schema and the final read live there
            Pooling = false,
            ApplicationName = "chaos-admin",
        }.ConnectionString);
        try
        {
            await connection.OpenAsync(ct);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }
}
