using Npgsql;

namespace Chaos.Harness.Servers.Internal;

/// <summary>
/// Backend administration over a superuser connection, the same for every kind of server: terminate
/// backends, read pg_stat_activity, find pids. Only client backends of the application's database are
/// ever touched, and never the harness's own session.
/// </summary>
internal sealed class BackendAdmin(Func<string> adminConnectionString, string database)
{
    public async Task<int> TerminateAsync(BackendSelector selector, CancellationToken ct)
    {
        await using var conn = await OpenAsync(ct);
        // From 14 on, pg_terminate_backend can wait until the backend is gone, so callers see its effect at once.
        var wait = conn.PostgreSqlVersion.Major >= 14 ? ", 5000" : "";
        await using var cmd = new NpgsqlCommand(
            $"SELECT count(*) FILTER (WHERE pg_terminate_backend(pid{wait}))::int FROM pg_stat_activity WHERE {Where(selector)}", conn);
        AddParameters(cmd, selector);
        return (int)(await cmd.ExecuteScalarAsync(ct))!;
    }

    public async Task<ActivitySnapshot> ActivityAsync(CancellationToken ct)
    {
        await using var conn = await OpenAsync(ct);
        await using var cmd = new NpgsqlCommand(
            "SELECT pid, coalesce(application_name, ''), coalesce(state, ''), coalesce(usename, ''), " +
            "extract(epoch FROM clock_timestamp() - backend_start)::float8 " +
            $"FROM pg_stat_activity WHERE {Where(BackendSelector.All)} ORDER BY backend_start", conn);
        AddParameters(cmd, BackendSelector.All);
        var rows = new List<BackendActivity>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            rows.Add(new BackendActivity(reader.GetInt32(0), reader.GetString(1), reader.GetString(2), TimeSpan.FromSeconds(reader.GetDouble(4))) { User = reader.GetString(3) });
        }
        return new ActivitySnapshot(rows);
    }

    public async Task<IReadOnlyList<int>> PidsAsync(BackendSelector selector, CancellationToken ct)
    {
        await using var conn = await OpenAsync(ct);
        await using var cmd = new NpgsqlCommand($"SELECT pid FROM pg_stat_activity WHERE {Where(selector)}", conn);
        AddParameters(cmd, selector);
        var pids = new List<int>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            pids.Add(reader.GetInt32(0));
        }
        return pids;
    }

    public async Task<NpgsqlConnection> OpenAsync(CancellationToken ct)
    {
        var conn = new NpgsqlConnection(adminConnectionString());
        try
        {
            await conn.OpenAsync(ct);
            return conn;
        }
        catch
        {
            await conn.DisposeAsync();
            throw;
        }
    }

    public static async Task ExecuteAsync(NpgsqlConnection conn, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public static async Task<T> ReadAsync<T>(NpgsqlConnection conn, string sql, Func<NpgsqlDataReader, T> read, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) throw new InvalidOperationException($"no row from: {sql}");
        return read(reader);
    }

    private static string Where(BackendSelector s)
    {
        var where = "backend_type = 'client backend' AND pid <> pg_backend_pid() AND datname = @db";
        if (s.ApplicationName is not null) where += " AND application_name = @app";
        if (s.User is not null) where += " AND usename = @user";
        if (s.State is not null) where += " AND state = @state";
        if (s.OlderThan is not null) where += " AND backend_start <= clock_timestamp() - @age";
        if (s.Pid is not null) where += " AND pid = @pid";
        return where;
    }

    private void AddParameters(NpgsqlCommand cmd, BackendSelector s)
    {
        cmd.Parameters.AddWithValue("db", database);
        if (s.ApplicationName is { } app) cmd.Parameters.AddWithValue("app", app);
        if (s.User is { } user) cmd.Parameters.AddWithValue("user", user);
        if (s.State is { } state) cmd.Parameters.AddWithValue("state", state);
        if (s.OlderThan is { } age) cmd.Parameters.AddWithValue("age", age);
        if (s.Pid is { } pid) cmd.Parameters.AddWithValue("pid", pid);
    }
}
