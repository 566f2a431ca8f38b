using System.Diagnostics;
using Chaos.Harness;
using Chaos.Harness.Servers;
using Chaos.Harness.Servers.Containers;
using Chaos.Harness.Servers.Internal;
using Chaos.Tests.Support;
using FluentAssertions;
using Npgsql;
using NUnit.Framework;

namespace Chaos.Tests.Servers.Containers;

/// <summary>What a container server can have done to it, each capability checked against a real container.</summary>
[Category("containers")]
[Parallelizable(ParallelScope.Children)]
[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public class ContainerServerTests : ContainerTest
{
    [Test]
    public async Task A_container_has_every_server_capability_and_a_scram_app_role_that_is_no_superuser()
    {
        var server = await StartContainerAsync();

        server.Should().BeAssignableTo<IProcessControl>().And.BeAssignableTo<IFreezable>().And.BeAssignableTo<IBackendFreezable>();
        server.Capabilities.Should().Be(Capability.ProcessControl | Capability.Freeze | Capability.BackendFreeze | Capability.ServerConfiguration);
        await using var app = await server.OpenAppAsync("container-role", Timeout);
        (await app.ScalarAsync<bool>("SELECT rolsuper FROM pg_roles WHERE rolname = current_user", Timeout)).Should().BeFalse();
        (await app.ScalarAsync<string>("SELECT current_database()", Timeout)).Should().Be(server.Database);
        (await server.AdminScalarAsync<string>($"SELECT left(rolpassword, 14) FROM pg_authid WHERE rolname = '{server.AppUser}'", Timeout)).Should().Be("SCRAM-SHA-256$");
        server.Version.Should().MatchRegex(@"^\d+(\.\d+)?");
        await TestContext.Out.WriteLineAsync($"{server.Image}: PostgreSQL {server.Version}, creation to first query {server.StartupTime.TotalMilliseconds:0} ms");
    }

    [Test]
    public async Task Server_settings_reach_the_postmaster_on_its_command_line_and_a_faults_settings_win()
    {
        var server = await StartContainerAsync(new PostgresOptions
        {
            MaxConnections = 20,
            IdleSessionTimeout = TimeSpan.FromSeconds(2),
            Settings = new Dictionary<string, string> { ["synchronous_commit"] = "on" },
        });

        (await server.AdminScalarAsync<string>("SHOW max_connections", Timeout)).Should().Be("20");
        (await server.AdminScalarAsync<string>("SHOW idle_session_timeout", Timeout)).Should().Be("2s");
        (await server.AdminScalarAsync<string>("SHOW synchronous_commit", Timeout)).Should().Be("on", "a fault's setting comes after Testcontainers' synchronous_commit=off");
        (await server.AdminScalarAsync<string>("SHOW fsync", Timeout)).Should().Be("off");
        (await server.AdminScalarAsync<string>("SELECT source FROM pg_settings WHERE name = 'max_connections'", Timeout)).Should().Be("command line");
    }

    [Test]
    public async Task A_setting_postgres_refuses_fails_the_start_with_the_containers_log_and_leaves_no_container()
    {
        var start = () => Docker.Backend.StartAsync(new PostgresOptions { Settings = new Dictionary<string, string> { ["chaos_no_such_setting"] = "1" } }, Timeout);

        var error = (await start.Should().ThrowAsync<ServerSetupException>()).Which;

        error.Message.Should().Contain("exited during startup").And.Contain("chaos_no_such_setting");
        var name = System.Text.RegularExpressions.Regex.Match(error.Message, @"container (chaos-\S+-pg-\d+)").Groups[1].Value;
        name.Should().NotBeEmpty("the message names the container");
        var engine = await DockerEngine.GetAsync(Timeout);
        (await engine.ContainersLabelledAsync("chaos.run", Timeout)).Should().NotContain(c => c.Names.Contains("/" + name), "a failed start removes its container");
    }

    [Test]
    public async Task A_restart_keeps_the_published_port_on_127_0_0_1_and_the_data()
    {
        var server = await StartContainerAsync();
        var port = server.Port;
        await using (var app = await server.OpenAppAsync("container-restart", Timeout))
        {
            await app.ExecuteAsync("CREATE TABLE kept (id int); INSERT INTO kept VALUES (1)", Timeout);
        }

        await server.RestartAsync(StopMode.Fast, Timeout);
        await server.StopAsync(StopMode.Fast, Timeout);
        server.Bridge.Should().BeNull("a stopped container has no address on the bridge");
        await server.StartAsync(Timeout);

        server.Port.Should().Be(port);
        port.Should().BeLessThan(ContainerPorts.Range().High, "leased below the ephemeral range, where nothing else takes it while the container is down");
        var inspect = await Engine.InspectAsync(server.ContainerId, Timeout);
        var bindings = inspect.HostConfig!.PortBindings!["5432/tcp"];
        bindings.Should().ContainSingle().Which.HostIP.Should().Be("127.0.0.1");
        bindings[0].HostPort.Should().Be(port.ToString());
        server.Bridge.Should().NotBeNull();
        server.Bridge!.Port.Should().Be(5432);
        server.Bridge.Host.Should().Be(inspect.NetworkSettings!.Networks!.Values.First().IPAddress);
        await using (var app = await server.OpenAppAsync("container-restart", Timeout))
        {
            (await app.ScalarAsync<long>("SELECT count(*) FROM kept", Timeout)).Should().Be(1);
        }
    }

    [Test]
    public async Task A_crash_runs_crash_recovery_and_keeps_every_acknowledged_commit()
    {
        var server = await StartContainerAsync(new PostgresOptions { Settings = new Dictionary<string, string> { ["synchronous_commit"] = "on" } });
        await using (var setup = await server.OpenAppAsync("container-crash", Timeout))
        {
            await setup.ExecuteAsync("CREATE TABLE acked (id int PRIMARY KEY)", Timeout);
        }
        var acknowledged = new List<int>();
        var writer = Task.Run(async () =>
        {
            await using var conn = await server.OpenAppAsync("container-crash", Timeout);
            try
            {
                for (var id = 1; id < 1_000_000; id++)
                {
                    await conn.ExecuteAsync($"INSERT INTO acked VALUES ({id})", Timeout);
                    acknowledged.Add(id);
                }
            }
            catch (NpgsqlException) { /* the crash */ }
        });
        await TestServers.EventuallyAsync(() => acknowledged.Count > 200, TimeSpan.FromSeconds(20), "the writer to commit 200 rows");

        await server.StopAsync(StopMode.Immediate, Timeout);
        await writer.WaitAsync(TimeSpan.FromSeconds(10));
        var clock = Stopwatch.StartNew();
        await server.StartAsync(Timeout);
        var recovered = clock.Elapsed;

        await using var check = await server.OpenAppAsync("container-crash", Timeout);
        var present = await check.ScalarAsync<long>($"SELECT count(*) FROM acked WHERE id <= {acknowledged[^1]}", Timeout);
        present.Should().Be(acknowledged.Count, "synchronous_commit=on: a crash of the container loses no commit it acknowledged");
        (await server.ReadLogAsync(Timeout)).Should().Contain("not properly shut down").And.Contain("redo done");
        await TestContext.Out.WriteLineAsync($"{acknowledged.Count} commits acknowledged, all present; start with crash recovery to first query {recovered.TotalMilliseconds:0} ms");
    }

    [Test]
    public async Task A_paused_container_accepts_connections_but_answers_nothing_until_it_is_unpaused()
    {
        var server = await StartContainerAsync();
        await using var open = await server.OpenAppAsync("container-freeze", Timeout);

        await server.FreezeAsync(Timeout);
        var query = open.ScalarAsync<int>("SELECT 1", Timeout);
        var connect = () => ServerSql.OpenAsync(ServerSql.App(server.AppConnectionString, "container-freeze", b => b.Timeout = 1), Timeout);
        await connect.Should().ThrowAsync<NpgsqlException>("docker-proxy accepts the connection, and the paused server never answers its startup").Where(e => e.InnerException is TimeoutException);
        query.IsCompleted.Should().BeFalse("a query on an open connection hangs while the container is paused");
        var ask = () => server.GetActivityAsync(Timeout);
        await ask.Should().ThrowAsync<InvalidOperationException>().WithMessage("*frozen*");

        await server.ThawAsync(Timeout);

        (await query.WaitAsync(TimeSpan.FromSeconds(10))).Should().Be(1, "the query waited, it was not lost");
    }

    [Test]
    public async Task A_frozen_backend_swallows_its_queries_while_the_others_answer_and_dies_when_thawed()
    {
        var server = await StartContainerAsync();
        await using var victim = await server.OpenAppAsync("container-victim", Timeout);
        await using var bystander = await server.OpenAppAsync("container-bystander", Timeout);

        var frozen = await server.FreezeBackendsAsync(new BackendSelector { ApplicationName = "container-victim" }, Timeout);

        frozen.Should().Equal(victim.ProcessID);
        var query = victim.ScalarAsync<int>("SELECT 1", Timeout);
        (await bystander.ScalarAsync<int>("SELECT 1", Timeout)).Should().Be(1);
        await Task.Delay(TimeSpan.FromSeconds(1), Timeout); // not synchronisation: the time the frozen backend does not answer in
        query.IsCompleted.Should().BeFalse();
        await server.TerminateAndThawBackendsAsync(frozen, Timeout);
        var answered = () => query.WaitAsync(TimeSpan.FromSeconds(10));
        await answered.Should().ThrowAsync<NpgsqlException>("the backend is ended before it can answer what it swallowed");
    }

    [Test]
    public async Task The_container_carries_its_runs_id_and_this_machine_as_labels()
    {
        var server = await StartContainerAsync();

        var labels = (await Engine.InspectAsync(server.ContainerId, Timeout)).Config!.Labels!;

        labels["chaos.run"].Should().Be(server.RunId);
        labels["chaos.host"].Should().Be(Environment.MachineName);
        RunRegistry.IsLive(server.RunId).Should().BeTrue("this test's run is alive, so no reaper may take its container");
        server.Published.Should().Be(new ServerEndpoint("127.0.0.1", server.Port));
    }

    [Test]
    public async Task PgBouncer_runs_as_a_child_process_in_front_of_the_containers_published_port()
    {
        var server = await StartContainerAsync();
        var bouncer = await StartPgBouncerAsync(server, new Harness.Poolers.PgBouncerOptions { Mode = Harness.Poolers.PoolMode.Transaction });

        await using var conn = await ServerSql.OpenAsync(ServerSql.App(bouncer.AppConnectionString, "container-bouncer", b => { b.NoResetOnClose = true; b.MaxAutoPrepare = 0; }), Timeout);

        (await conn.ScalarAsync<string>("SELECT current_user", Timeout)).Should().Be(server.AppUser);
        (await server.GetActivityAsync(Timeout)).Backends.Should().Contain(b => b.User == server.AppUser);
    }

    private static DockerEngine Engine => DockerEngine.GetAsync(CancellationToken.None).GetAwaiter().GetResult();
}
