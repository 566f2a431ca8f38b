using Chaos.Harness.Workload;
using Npgsql;

namespace Chaos.Harness.Drivers.Npgsql;

/// <summary>
/// What one simulated request does on its Npgsql connection. Each body sets <see cref="Request.Stage"/> as it
/// goes so that a failure can be classified honestly, and leaves evidence the checker can verify.
/// </summary>
internal static class NpgsqlRequests
{
    private const int LargeReadRows = WorkloadSpec.LargeReadRows;
    private const int LargeReadWidth = WorkloadSpec.LargeReadWidth;

    public static async Task ReadAsync(NpgsqlConnection connection, Request op, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT @n::int + 1", connection);
        cmd.Parameters.AddWithValue("n", (int)(op.Id % 1_000_000));
        var result = (int)(await cmd.ExecuteScalarAsync(ct))!;
        if (result != (int)(op.Id % 1_000_000) + 1)
        {
            op.Violation = $"read returned {result}, not its own answer";
        }
    }

    /// <summary>Two inserts under one write id in one transaction; the hooks let a fault strike in between.</summary>
    public static async Task WriteAsync(NpgsqlConnection connection, Request op, Hooks hooks, CancellationToken ct)
    {
        await using var tx = await connection.BeginTransactionAsync(ct);
        // pg_backend_pid(), not NpgsqlConnection.ProcessID: through PgBouncer the latter is PgBouncer's made-up id.
        await using (var first = new NpgsqlCommand("INSERT INTO writes (write_id, part, attempt) VALUES (@id, 1, @attempt) RETURNING txid, pg_backend_pid()", connection, tx))
        {
            first.Parameters.AddWithValue("id", op.WriteId!.Value);
            first.Parameters.AddWithValue("attempt", op.Attempts);
            await using var reader = await first.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            op.Txid = reader.GetInt64(0);
            op.BackendPid = reader.GetInt32(1);
        }
        await hooks.ReachAsync(HookPoint.AfterWrite, op, ct);
        await using (var second = new NpgsqlCommand("INSERT INTO writes (write_id, part, attempt) VALUES (@id, 2, @attempt)", connection, tx))
        {
            second.Parameters.AddWithValue("id", op.WriteId!.Value);
            second.Parameters.AddWithValue("attempt", op.Attempts);
            await second.ExecuteNonQueryAsync(ct);
        }
        await hooks.ReachAsync(HookPoint.BeforeCommit, op, ct);
        op.Stage = Stage.Committing;
        await tx.CommitAsync(ct);
    }

    /// <summary>
    /// Right after a committed write, reads the write's rows through the read data source (which may be a
    /// standby): fewer than two is a stale read. The write has happened, so an error here leaves the
    /// request's outcome unknown to the application, never "did not happen".
    /// </summary>
    public static async Task ReadOwnWriteAsync(NpgsqlConnection readConnection, Request op, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT count(*)::int FROM writes WHERE write_id = @id", readConnection);
        cmd.Parameters.AddWithValue("id", op.WriteId!.Value);
        var rows = (int)(await cmd.ExecuteScalarAsync(ct))!;
        if (rows < 2)
        {
            op.Violation = $"{History.Violations.StaleRead}: the read right after op {op.Id}'s acknowledged write found {rows} of its 2 rows";
        }
    }

    /// <summary>Reads every row of a large result; fewer rows without an error is silent truncation.</summary>
    public static async Task LargeReadAsync(NpgsqlConnection connection, Request op, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"SELECT repeat('x', {LargeReadWidth}) FROM generate_series(1, {LargeReadRows})", connection);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var rows = 0;
        while (await reader.ReadAsync(ct))
        {
            if (reader.GetString(0).Length != LargeReadWidth)
            {
                op.Violation = $"row {rows} came back cut short";
            }
            rows++;
        }
        if (rows != LargeReadRows)
        {
            op.Violation = $"large read returned {rows} of {LargeReadRows} rows without an error";
        }
    }

    /// <summary>
    /// Session state across transactions, as an application that sets it once per session expects it to
    /// hold: its own search_path, a prepared statement, and an advisory lock taken and released.
    /// </summary>
    public static async Task SessionStateAsync(NpgsqlConnection connection, Request op, int tenant, CancellationToken ct)
    {
        await Exec(connection, $"SET search_path TO tenant_{tenant}, public", ct);
        await using (var read = new NpgsqlCommand("SELECT owner FROM marker", connection))
        {
            var owner = (int)(await read.ExecuteScalarAsync(ct))!;
            if (owner != tenant)
            {
                op.Violation = $"search_path lost: tenant {tenant} read tenant {owner}'s data";
                return;
            }
        }

        await using (var prepared = new NpgsqlCommand($"SELECT owner FROM tenant_{tenant}.marker WHERE owner = @owner", connection))
        {
            prepared.Parameters.AddWithValue("owner", tenant);
            await prepared.PrepareAsync(ct);
            await prepared.ExecuteScalarAsync(ct);
            await prepared.ExecuteScalarAsync(ct);
        }

        // pg_try_ rather than pg_advisory_lock: a lock stranded on another server connection must not hang the run.
        var locked = await Scalar<bool>(connection, $"SELECT pg_try_advisory_lock({1000 + tenant})", ct);
        var unlocked = locked && await Scalar<bool>(connection, $"SELECT pg_advisory_unlock({1000 + tenant})", ct);
        if (!locked || !unlocked)
        {
            op.Violation = locked
                ? $"advisory lock lost: tenant {tenant} took a lock its next transaction did not hold"
                : $"advisory lock lost: tenant {tenant}'s lock is held by a session it no longer has";
        }
    }

    /// <summary>Holds the connection through a slow external call inside the session.</summary>
    public static async Task HoldAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await Exec(connection, "SELECT 1", ct);
        await Task.Delay(WorkloadSpec.HoldFor, ct);
        await Exec(connection, "SELECT 1", ct);
    }

    private static async Task Exec(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, connection);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static async Task<T> Scalar<T>(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, connection);
        return (T)(await cmd.ExecuteScalarAsync(ct))!;
    }
}
