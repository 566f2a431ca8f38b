using Chaos.Harness.Poolers;
using Chaos.Harness.Servers;
using Chaos.Harness.Servers.Internal;
using Chaos.Tests.Support;
using FluentAssertions;
using NUnit.Framework;

namespace Chaos.Tests.Servers;

public class PgBouncerTests : ServerTest
{
    [Test]
    public async Task In_transaction_mode_two_clients_share_one_server_connection_and_its_session_state()
    {
        var cluster = await StartManagedClusterAsync();
        var bouncer = await StartPgBouncerAsync(cluster, new PgBouncerOptions { Mode = PoolMode.Transaction, DefaultPoolSize = 1 });
        await using var first = await ServerSql.OpenAsync(ServerSql.App(bouncer.AppConnectionString, "pgb-tx"), Timeout);
        await using var second = await ServerSql.OpenAsync(ServerSql.App(bouncer.AppConnectionString, "pgb-tx"), Timeout);

        await first.ExecuteAsync("SET chaos.marker = 'set-by-first'", Timeout);

        (await second.ScalarAsync<int>("SELECT pg_backend_pid()", Timeout))
            .Should().Be(await first.ScalarAsync<int>("SELECT pg_backend_pid()", Timeout));
        (await second.ScalarAsync<string>("SELECT current_setting('chaos.marker', true)", Timeout))
            .Should().Be("set-by-first", "a SET outlives its transaction and leaks to whichever client gets the server connection next");
    }

    [Test]
    public async Task In_session_mode_a_client_keeps_its_own_server_connection_and_session_state()
    {
        var cluster = await StartManagedClusterAsync();
        var bouncer = await StartPgBouncerAsync(cluster, new PgBouncerOptions { Mode = PoolMode.Session, DefaultPoolSize = 2 });
        await using var first = await ServerSql.OpenAsync(ServerSql.App(bouncer.AppConnectionString, "pgb-session"), Timeout);
        await using var second = await ServerSql.OpenAsync(ServerSql.App(bouncer.AppConnectionString, "pgb-session"), Timeout);

        await first.ExecuteAsync("SET chaos.marker = 'set-by-first'", Timeout);

        (await first.ScalarAsync<string>("SELECT current_setting('chaos.marker', true)", Timeout)).Should().Be("set-by-first");
        (await second.ScalarAsync<string?>("SELECT coalesce(current_setting('chaos.marker', true), '')", Timeout)).Should().BeEmpty();
        (await second.ScalarAsync<int>("SELECT pg_backend_pid()", Timeout))
            .Should().NotBe(await first.ScalarAsync<int>("SELECT pg_backend_pid()", Timeout));
    }

    [Test]
    public async Task Show_pools_reports_the_app_database_and_its_clients()
    {
        var cluster = await StartManagedClusterAsync();
        var bouncer = await StartPgBouncerAsync(cluster);
        await using var client = await ServerSql.OpenAsync(ServerSql.App(bouncer.AppConnectionString, "pgb-show"), Timeout);
        await client.ScalarAsync<int>("SELECT 1", Timeout);

        var pools = await bouncer.ShowAsync("POOLS", Timeout);
        var clients = await bouncer.ShowAsync("clients", Timeout);

        var pool = pools.Should().ContainSingle(p => (string?)p["database"] == cluster.Database && (string?)p["user"] == cluster.AppUser).Subject;
        pool["pool_mode"].Should().Be("transaction");
        Convert.ToInt32(pool["cl_active"]).Should().Be(1);
        clients.Should().Contain(c => (string?)c["application_name"] == "pgb-show");
    }

    [Test]
    public async Task PgBouncer_runs_as_the_unprivileged_user_and_leaves_nothing_behind()
    {
        var cluster = await StartManagedClusterAsync();
        var bouncer = await PgBouncer.StartAsync(cluster, ct: Timeout);
        var (pid, dir) = (bouncer.Pid, bouncer.Dir);
        if (Native.IsRoot)
            File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("Uid:")).Should().NotMatchRegex(@"^Uid:\s+0\s");

        await bouncer.DisposeAsync();

        ProcessTree.IsAlive(pid).Should().BeFalse();
        Directory.Exists(dir).Should().BeFalse();
    }

    [Test]
    public void A_missing_pgbouncer_says_how_to_install_it()
    {
        var locate = () => PgBouncerBinary.Locate(TestServers.Environment(("PATH", "/nonexistent"), ("CHAOS_PGBOUNCER", null)), usualLocations: []);

        locate.Should().Throw<ServerSetupException>().WithMessage("*apt-get install pgbouncer*brew install pgbouncer*");
    }
}
