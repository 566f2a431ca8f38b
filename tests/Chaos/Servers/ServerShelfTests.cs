using Chaos.Harness.Servers;
using Chaos.Harness.Servers.Internal;
using Chaos.Harness.Workload;
using Chaos.Tests.Support;
using FluentAssertions;
using NUnit.Framework;

namespace Chaos.Tests.Servers;

/// <summary>A matrix run's reuse of untouched servers: what comes back is as good as a fresh one, and nothing else comes back.</summary>
public class ServerShelfTests : ServerTest
{
    private static readonly ServerBackend Managed = ServerBackend.ManagedWithoutKernelNetwork;

    [Test]
    public async Task An_untouched_server_comes_back_running_with_no_session_and_no_table_of_the_last_cell()
    {
        await using var shelf = new ServerShelf(2, WorkloadDatabase.DropSql);
        var servers = Managed.WithShelf(shelf);
        var first = Track((ManagedServer)await servers.StartAsync(new PostgresOptions(), Timeout));
        await WorkloadDatabase.CreateAsync(first, new WorkloadSpec(Mix: WorkMix.SessionState), Timeout);
        var pid = first.PostmasterPid;
        var port = first.Port;
        var left = await first.OpenAppAsync("last-cell", Timeout); // a session the cell never closed
        await left.ExecuteAsync("BEGIN; INSERT INTO writes (write_id, part, attempt) VALUES (gen_random_uuid(), 0, 0)", Timeout);

        await first.DisposeAsync();
        var second = Track((ManagedServer)await servers.StartAsync(new PostgresOptions(), Timeout));

        shelf.Parked.Should().Be(1);
        shelf.Reused.Should().Be(1);
        second.Should().NotBeSameAs(first, "the finished cell's object can no longer stop it");
        (second.PostmasterPid, second.Port).Should().Be((pid, port));
        (await second.AdminScalarAsync<long>(
            $"SELECT count(*) FROM pg_stat_activity WHERE usename = '{second.AppUser}'", Timeout)).Should().Be(0);
        (await second.AdminScalarAsync<long>(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' OR n.nspname LIKE 'tenant%'", Timeout))
            .Should().Be(0);
        await WorkloadDatabase.CreateAsync(second, WorkloadSpec.Default, Timeout); // the next cell's schema goes in again
        await using var app = await second.OpenAppAsync("next-cell", Timeout);
        (await app.ScalarAsync<long>("SELECT count(*) FROM writes", Timeout)).Should().Be(0);
        await left.DisposeAsync();
    }

    [Test]
    public async Task A_restarted_server_an_unknown_table_and_other_settings_are_not_reused()
    {
        await using var shelf = new ServerShelf(4, WorkloadDatabase.DropSql);
        var servers = Managed.WithShelf(shelf);

        var restarted = Track((ManagedServer)await servers.StartAsync(new PostgresOptions(), Timeout));
        await restarted.RestartAsync(StopMode.Fast, Timeout);
        var restartedPid = restarted.PostmasterPid;
        await restarted.DisposeAsync();

        var withTable = Track((ManagedServer)await servers.StartAsync(new PostgresOptions(), Timeout));
        await using (var conn = await ServerSql.OpenAsync(ServerSql.App(withTable.AppConnectionString, "own-table"), Timeout))
        {
            await conn.ExecuteAsync("CREATE TABLE users_own (id int)", Timeout);
        }
        var withTablePid = withTable.PostmasterPid;
        await withTable.DisposeAsync();

        shelf.Parked.Should().Be(0, "a restart alters the server, and a table nobody drops would reach the next cell");
        ProcessTree.IsAlive(restartedPid).Should().BeFalse();
        ProcessTree.IsAlive(withTablePid).Should().BeFalse();

        var plain = Track((ManagedServer)await servers.StartAsync(new PostgresOptions(), Timeout));
        await plain.DisposeAsync();
        var other = Track((ManagedServer)await servers.StartAsync(new PostgresOptions { MaxConnections = 20 }, Timeout));
        shelf.Parked.Should().Be(1);
        shelf.Reused.Should().Be(0, "a server with other settings is another server");
        (await other.AdminScalarAsync<string>("SHOW max_connections", Timeout)).Should().Be("20");
    }

    [Test]
    public async Task Disposing_the_shelf_stops_every_parked_server_and_deletes_its_directory()
    {
        var shelf = new ServerShelf(2, WorkloadDatabase.DropSql);
        var servers = Managed.WithShelf(shelf);
        var started = new List<ManagedServer>();
        for (var i = 0; i < 3; i++)
        {
            started.Add(Track((ManagedServer)await servers.StartAsync(new PostgresOptions(), Timeout)));
        }
        var pids = started.Select(s => s.PostmasterPid).ToList();
        var dirs = started.Select(s => s.Dir).ToList();
        foreach (var server in started)
        {
            await server.DisposeAsync();
        }
        shelf.Parked.Should().Be(3);
        ProcessTree.IsAlive(pids[0]).Should().BeFalse("a full shelf stops the server parked longest ago");
        Directory.Exists(dirs[0]).Should().BeFalse();

        await shelf.DisposeAsync();

        pids.Should().OnlyContain(pid => !ProcessTree.IsAlive(pid));
        dirs.Should().OnlyContain(dir => !Directory.Exists(dir));
        var after = Track((ManagedServer)await servers.StartAsync(new PostgresOptions(), Timeout));
        var afterPid = after.PostmasterPid;
        pids.Should().NotContain(afterPid, "a disposed shelf hands nothing out");
        await after.DisposeAsync();
        ProcessTree.IsAlive(afterPid).Should().BeFalse("nor keeps what is disposed after it");
    }
}
