using Chaos.Harness.History;
using Chaos.Harness.Testing;
using FluentAssertions;
using Npgsql;
using NUnit.Framework;

namespace Chaos.Tests.Testing;

/// <summary>
/// The testing API as a user's test meets it: only <see cref="ChaosDatabaseBuilder"/>, <see cref="ChaosDatabase"/>,
/// <see cref="Fault"/> and plain Npgsql, and the failures Npgsql really raises.
/// </summary>
[TestFixture]
[NonParallelizable]
public class ChaosDatabaseTests
{
    private CancellationTokenSource _timeout = null!;
    private CancellationToken Timeout => _timeout.Token;

    [SetUp]
    public void Bound() => _timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));

    [TearDown]
    public void Unbound() => _timeout.Dispose();

    [Test]
    public async Task A_reset_from_a_hook_inside_the_transaction_fails_its_commit_and_writes_nothing()
    {
        await using var db = await new ChaosDatabaseBuilder().StartAsync(Timeout);
        await CreateOrdersAsync(db);
        await using var source = NpgsqlDataSource.Create(db.ConnectionString);

        await using var connection = await source.OpenConnectionAsync(Timeout);
        await using var transaction = await connection.BeginTransactionAsync(Timeout);
        await ExecuteAsync(connection, "INSERT INTO orders (item) VALUES ('reset')");
        var fault = await db.InjectAsync(Fault.TcpResetMidTransaction(), Timeout); // the hook: after the write, before COMMIT
        var commit = async () => await transaction.CommitAsync(Timeout);

        (await commit.Should().ThrowAsync<NpgsqlException>()).Which.IsTransient.Should().BeTrue("a cut connection is a transient I/O failure");
        await fault.Healed.WaitAsync(TimeSpan.FromSeconds(15), Timeout);
        (await CountOrdersAsync(db)).Should().Be(0, "the server rolled back the transaction whose COMMIT never arrived");
        await using (var fresh = await source.OpenConnectionAsync(Timeout))
        {
            await ExecuteAsync(fresh, "SELECT 1"); // healed: a new connection works through the proxy
        }
        db.Timeline.Select(e => e.Kind).Should().ContainInOrder(TimelineKinds.Fault, TimelineKinds.Heal);
        fault.Detail.Should().Contain("open transaction of backend");
    }

    [Test]
    public async Task A_reset_for_an_application_name_strikes_its_next_open_transaction()
    {
        await using var db = await new ChaosDatabaseBuilder().StartAsync(Timeout);
        await CreateOrdersAsync(db);
        await using var source = NpgsqlDataSource.Create(db.ConnectionStringFor("orders-service"));

        var striking = db.InjectAsync(Fault.TcpResetAtNextTransaction("orders-service"), Timeout);
        await using var connection = await source.OpenConnectionAsync(Timeout);
        await using var transaction = await connection.BeginTransactionAsync(Timeout);
        await ExecuteAsync(connection, "INSERT INTO orders (item) VALUES ('slow')");
        var fault = await striking.WaitAsync(TimeSpan.FromSeconds(10), Timeout); // the code's transaction sits open (a slow call inside it)
        var commit = async () => await transaction.CommitAsync(Timeout);

        await commit.Should().ThrowAsync<NpgsqlException>();
        await fault.Healed.WaitAsync(TimeSpan.FromSeconds(15), Timeout);
        (await CountOrdersAsync(db)).Should().Be(0);
    }

    [Test]
    public async Task Idle_backends_killed_fail_the_next_command_on_a_pooled_connection_with_57P01()
    {
        await using var db = await new ChaosDatabaseBuilder().StartAsync(Timeout);
        await using var source = NpgsqlDataSource.Create(db.ConnectionString);
        await using (var warm = await source.OpenConnectionAsync(Timeout))
        {
            await ExecuteAsync(warm, "SELECT 1"); // back in the pool, idle
        }

        var fault = await db.InjectAsync(Fault.IdleBackendsKilled(), Timeout);
        fault.Detail.Should().StartWith("1 idle backend");
        await EventuallyAsync(async () => (await db.GetActivityAsync(Timeout)).CountFor(db.ApplicationName) == 0, "the terminated backend to exit");

        var command = async () =>
        {
            await using var connection = await source.OpenConnectionAsync(Timeout);
            await ExecuteAsync(connection, "SELECT 1");
        };
        (await command.Should().ThrowAsync<PostgresException>()).Which.SqlState.Should().Be("57P01", "Npgsql hands out the dead pooled connection without checking it");
        await command.Should().NotThrowAsync("the failure cleared the pool, so the next rent opens a new connection");
        fault.IsHealed.Should().BeTrue("a kill has nothing to undo");
    }

    [Test]
    public async Task A_server_restart_ends_open_sessions_and_the_server_comes_back()
    {
        await using var db = await new ChaosDatabaseBuilder().StartAsync(Timeout);
        await using var source = NpgsqlDataSource.Create(db.ConnectionString);
        await using var open = await source.OpenConnectionAsync(Timeout);
        await ExecuteAsync(open, "SELECT 1");

        var fault = await db.InjectAsync(Fault.ServerRestart(), Timeout);

        var onOld = async () => await ExecuteAsync(open, "SELECT 1");
        await onOld.Should().ThrowAsync<NpgsqlException>("the restart ended the session under the open connection");
        await using var fresh = await source.OpenConnectionAsync(Timeout);
        await ExecuteAsync(fresh, "SELECT 1");
        fault.IsHealed.Should().BeTrue();
        db.Timeline.Should().Contain(e => e.Kind == TimelineKinds.Fault && e.Detail.StartsWith("server-restart", StringComparison.Ordinal));
    }

    [Test]
    public async Task A_named_fault_strikes_until_it_is_healed()
    {
        await using var db = await new ChaosDatabaseBuilder().StartAsync(Timeout);
        await using var source = NpgsqlDataSource.Create(db.ConnectionString + ";Command Timeout=1");
        await using var connection = await source.OpenConnectionAsync(Timeout);

        var fault = await db.InjectAsync(Fault.Named("latency-spike"), Timeout);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await ExecuteAsync(connection, "SELECT 1").ContinueWith(_ => { }, TaskScheduler.Default); // slow or timed out: either way not instant
        clock.Elapsed.Should().BeGreaterThan(TimeSpan.FromMilliseconds(200));
        await fault.HealAsync(Timeout);

        fault.IsHealed.Should().BeTrue();
        (await db.Proxy.GetToxicsAsync(db.ProxyName, Timeout)).Should().BeEmpty();
    }

    [Test]
    public void Faults_that_need_the_built_in_workload_are_refused_with_the_reason()
    {
        Fault.Names.Should().Contain(["tcp-reset-mid-transaction", "idle-backends-killed", "server-restart", "latency-spike", "data-cut"]);
        var named = () => Fault.Named("pool-exhaustion");
        named.Should().Throw<ArgumentException>().WithMessage("*built-in workload*");
    }

    [Test]
    public async Task Disposing_stops_every_process_it_started()
    {
        var db = await new ChaosDatabaseBuilder().StartAsync(Timeout);
        var port = new NpgsqlConnectionStringBuilder(db.DirectConnectionString).Port;
        var servers = ServerProcesses(port);
        servers.Should().NotBeEmpty("the postmaster names its port on its command line");

        await db.DisposeAsync();

        servers.Where(IsAlive).Should().BeEmpty();
        var connect = async () =>
        {
            await using var connection = new NpgsqlConnection(db.DirectConnectionString);
            await connection.OpenAsync(Timeout);
        };
        await connect.Should().ThrowAsync<NpgsqlException>("nothing listens on the server's port any more");
    }

    // postgres -p <port> ... as started by the harness: the postmaster, whose children exit with it.
    private static List<int> ServerProcesses(int port) =>
        [.. Directory.GetDirectories("/proc").Select(d => Path.GetFileName(d)).Where(n => n.All(char.IsDigit)).Select(int.Parse)
            .Where(pid => CommandLine(pid) is { } cmd && cmd.Contains("postgres", StringComparison.Ordinal) && cmd.Contains($"port={port} ", StringComparison.Ordinal))];

    private static bool IsAlive(int pid) => CommandLine(pid) is { Length: > 0 };

    private static string? CommandLine(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ') + " "; }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    private async Task CreateOrdersAsync(ChaosDatabase db)
    {
        await using var connection = new NpgsqlConnection(db.DirectConnectionString);
        await connection.OpenAsync(Timeout);
        await ExecuteAsync(connection, "CREATE TABLE orders (id serial PRIMARY KEY, item text NOT NULL)");
    }

    private async Task<long> CountOrdersAsync(ChaosDatabase db)
    {
        await using var connection = new NpgsqlConnection(db.DirectConnectionString);
        await connection.OpenAsync(Timeout);
        await using var command = new NpgsqlCommand("SELECT count(*) FROM orders", connection);
        return (long)(await command.ExecuteScalarAsync(Timeout))!;
    }

    private async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(Timeout);
    }

    private async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(10)) Assert.Fail($"waited 10 s for {what}");
            await Task.Delay(20, Timeout);
        }
    }
}
