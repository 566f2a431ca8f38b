using Npgsql;

namespace Chaos.Harness.Workload;

/// <summary>
/// What one simulated request does on its connection. Each body sets <see cref="OpRecord.Stage"/> as it
/// goes so that a failure can be classified honestly, and leaves evidence the checker can verify.
/// </summary>
internal static class Requests
{
    /// <summary>Rows in a large read, and the bytes of each: about 1 MB in all.</summary>
    public const int LargeReadRows = 5000;
    public const int LargeReadWidth = 200;

    /// <summary>How long a held session waits on its "external call".</summary>
    public static readonly TimeSpan HoldFor = TimeSpan.FromSeconds(2);

    /// <summary>The schema every cell's database gets before the workload starts.</summary>
    public static string Schema(int tenants) =>
        """
        CREATE TABLE writes (
            write_id uuid NOT NULL,
            part int NOT NULL,
            attempt int NOT NULL,
            txid bigint NOT NULL DEFAULT txid_current(),
            at timestamptz NOT NULL DEFAULT clock_timestamp()
        );
        """
        + string.Concat(Enumerable.Range(0, tenants).Select(t =>
            $"CREATE SCHEMA tenant_{t}; CREATE TABLE tenant_{t}.marker (owner int NOT NULL); INSERT INTO tenant_{t}.marker VALUES ({t});"));

    public static async Task ReadAsync(NpgsqlConnection connection, OpRecord op, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT @n::int + 1", connection);
        cmd.Parameters.AddWithValue("n", (int)(op.Id % 1_000_000));
        var result = (int)(await cmd.ExecuteScalarAsync(ct))!;
        if (result != (int)(op.Id % 1_000_000) + 1)
        {
            op.IntegrityViolation = $"read returned {result}, not its own answer";
        }
    }

    /// <summary>Two inserts under one write id in one transaction; the hooks let a fault strike in between.</summary>
    public static async Task WriteAsync(NpgsqlConnection connection, OpRecord op, Hooks hooks, CancellationToken ct)
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
        await hooks.ReachAsync(HookPoint.AfterWrite, op, connection, ct);
        await using (var second = new NpgsqlCommand("INSERT INTO writes (write_id, part, attempt) VALUES (@id, 2, @attempt)", connection, tx))
        {
            second.Parameters.AddWithValue("id", op.WriteId!.Value);
            second.Parameters.AddWithValue("attempt", op.Attempts);
            await second.ExecuteNonQueryAsync(ct);
        }
        await hooks.ReachAsync(HookPoint.BeforeCommit, op, connection, ct);
        op.Stage = Stage.Committing;
        await tx.CommitAsync(ct);
    }

    /// <summary>Reads every row of a large result; fewer rows without an error is silent truncation.</summary>
    public static async Task LargeReadAsync(NpgsqlConnection connection, OpRecord op, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"SELECT repeat('x', {LargeReadWidth}) FROM generate_series(1, {LargeReadRows})", connection);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var rows = 0;
        while (await reader.ReadAsync(ct))
        {
            if (reader.GetString(0).Length != LargeReadWidth)
            {
                op.IntegrityViolation = $"row {rows} came back cut short";
            }
            rows++;
        }
        if (rows != LargeReadRows)
        {
            op.IntegrityViolation = $"large read returned {rows} of {LargeReadRows} rows without an error";
        }
    }

    /// <summary>
    /// Session state across transactions, as an application that sets it once per session expects it to
    /// hold: its own search_path, a prepared statement, and an advisory lock taken and released.
    /// </summary>
    public static async Task SessionStateAsync(NpgsqlConnection connection, OpRecord op, int tenant, CancellationToken ct)
    {
        await Exec(connection, $"SET search_path TO tenant_{tenant}, public", ct);
        await using (var read = new NpgsqlCommand("SELECT owner FROM marker", connection))
        {
            var owner = (int)(await read.ExecuteScalarAsync(ct))!;
            if (owner != tenant)
            {
                op.IntegrityViolation = $"search_path lost: tenant {tenant} read tenant {owner}'s data";
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
            op.IntegrityViolation = locked
                ? $"advisory lock lost: tenant {tenant} took a lock its next transaction did not hold"
                : $"advisory lock lost: tenant {tenant}'s lock is held by a session it no longer has";
        }
    }

    /// <summary>Holds the connection through a slow external call inside the session.</summary>
    public static async Task HoldAsync(NpgsqlConnection connection, OpRecord op, TimeProvider time, CancellationToken ct)
    {
        await Exec(connection, "SELECT 1", ct);
        await Task.Delay(HoldFor, time, ct);
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
