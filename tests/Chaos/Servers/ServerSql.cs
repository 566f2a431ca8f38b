using Chaos.Harness.Servers;
using Npgsql;

namespace Chaos.Tests.Servers;

/// <summary>Small SQL helpers for the server tests: every connection gets its own application name and no pooling.</summary>
internal static class ServerSql
{
    public static string App(string connectionString, string applicationName, Action<NpgsqlConnectionStringBuilder>? tweak = null)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = applicationName, Pooling = false, Timeout = 10 };
        tweak?.Invoke(builder);
        return builder.ConnectionString;
    }

    public static async Task<NpgsqlConnection> OpenAsync(string connectionString, CancellationToken ct)
    {
        var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync(ct);
        return conn;
    }

    public static Task<NpgsqlConnection> OpenAppAsync(this IPostgresServer cluster, string applicationName, CancellationToken ct) =>
        OpenAsync(App(cluster.AppConnectionString, applicationName), ct);

    public static async Task<T> ScalarAsync<T>(this NpgsqlConnection conn, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        return (T)(await cmd.ExecuteScalarAsync(ct))!;
    }

    public static async Task ExecuteAsync(this NpgsqlConnection conn, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public static async Task<T> AdminScalarAsync<T>(this IPostgresServer cluster, string sql, CancellationToken ct)
    {
        await using var conn = await OpenAsync(cluster.AdminConnectionString, ct);
        return await conn.ScalarAsync<T>(sql, ct);
    }
}
