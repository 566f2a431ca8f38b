using Chaos.Harness.Servers;
using Chaos.Harness.Servers.Internal;
using Chaos.Tests.Support;
using FluentAssertions;
using Npgsql;
using NUnit.Framework;

namespace Chaos.Tests.Servers;

public class ManagedServerTests : ServerTest
{
    [Test]
    public async Task A_new_cluster_answers_the_app_role_with_a_scram_password_on_its_own_port()
    {
        var cluster = await StartManagedClusterAsync();

        cluster.Capabilities.Should().HaveFlag(Harness.Capability.ProcessControl);
        cluster.Host.Should().Be("127.0.0.1");
        cluster.Port.Should().BeGreaterThan(0).And.NotBe(5432);
        cluster.Version.Should().MatchRegex(@"^\d+");
        File.Exists(cluster.LogPath).Should().BeTrue();
        await using var conn = await cluster.OpenAppAsync("new-cluster", Timeout);
        (await conn.ScalarAsync<string>("SELECT current_user", Timeout)).Should().Be(cluster.AppUser);
        (await conn.ScalarAsync<string>("SELECT current_database()", Timeout)).Should().Be(cluster.Database);
        (await cluster.AdminScalarAsync<string>($"SELECT rolpassword FROM pg_authid WHERE rolname = '{cluster.AppUser}'", Timeout))
            .Should().StartWith("SCRAM-SHA-256$");
        (await cluster.AdminScalarAsync<string>("SHOW fsync", Timeout)).Should().Be("off");
    }

    [Test]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Logs_and_the_run_directory_are_for_the_harness_user_alone()
    {
        var cluster = await StartManagedClusterAsync();

        File.GetUnixFileMode(cluster.LogPath).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite, "a log holds connection details");
        var runDir = Path.GetDirectoryName(cluster.Dir)!;
        (File.GetUnixFileMode(runDir) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead)).Should().Be(UnixFileMode.None, "nobody else lists the run");
    }

    [Test]
    public async Task A_wrong_password_is_refused()
    {
        var cluster = await StartManagedClusterAsync();
        var wrong = ServerSql.App(cluster.AppConnectionString, "wrong-password", b => b.Password = "not-it");

        var open = () => ServerSql.OpenAsync(wrong, Timeout);

        (await open.Should().ThrowAsync<PostgresException>()).Which.SqlState.Should().Be("28P01");
    }

    [Test]
    public async Task Options_reach_the_server_settings()
    {
        var cluster = await StartManagedClusterAsync(new PostgresOptions
        {
            MaxConnections = 37,
            IdleSessionTimeout = TimeSpan.FromSeconds(90),
            IdleInTransactionSessionTimeout = TimeSpan.FromSeconds(45),
            LogConnections = false,
            Settings = new Dictionary<string, string> { ["statement_timeout"] = "12s" },
        });

        (await cluster.AdminScalarAsync<string>("SHOW max_connections", Timeout)).Should().Be("37");
        (await cluster.AdminScalarAsync<string>("SHOW idle_session_timeout", Timeout)).Should().Be("90s");
        (await cluster.AdminScalarAsync<string>("SHOW idle_in_transaction_session_timeout", Timeout)).Should().Be("45s");
        (await cluster.AdminScalarAsync<string>("SHOW log_connections", Timeout)).Should().Be("off");
        (await cluster.AdminScalarAsync<string>("SHOW statement_timeout", Timeout)).Should().Be("12s");
        (await cluster.AdminScalarAsync<string>("SHOW listen_addresses", Timeout)).Should().Be("127.0.0.1");
    }

    [TestCase(StopMode.Fast)]
    [TestCase(StopMode.Immediate)]
    // object: StopMode is internal, and an NUnit test method must be public.
    public async Task A_stopped_cluster_refuses_connections_and_starts_again_on_the_same_port(object stopMode)
    {
        var mode = (StopMode)stopMode;
        var cluster = await StartManagedClusterAsync();
        var port = cluster.Port;
        await using var before = await cluster.OpenAppAsync("stop-start", Timeout);

        await cluster.StopAsync(mode, Timeout);

        var query = () => before.ScalarAsync<int>("SELECT 1", Timeout);
        await query.Should().ThrowAsync<NpgsqlException>();
        var open = () => cluster.OpenAppAsync("stop-start", Timeout);
        await open.Should().ThrowAsync<NpgsqlException>();

        await cluster.StartAsync(Timeout);

        cluster.Port.Should().Be(port);
        await using var after = await cluster.OpenAppAsync("stop-start", Timeout);
        (await after.ScalarAsync<int>("SELECT 1", Timeout)).Should().Be(1);
    }

    [Test]
    public async Task A_restart_keeps_the_data()
    {
        var cluster = await StartManagedClusterAsync();
        await using (var conn = await cluster.OpenAppAsync("restart", Timeout))
            await conn.ExecuteAsync("CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)", Timeout);

        await cluster.RestartAsync(StopMode.Fast, Timeout);

        await using var again = await cluster.OpenAppAsync("restart", Timeout);
        (await again.ScalarAsync<int>("SELECT v FROM kept", Timeout)).Should().Be(42);
    }

    [Test]
    public async Task A_frozen_cluster_times_out_queries_and_answers_again_after_thaw()
    {
        var cluster = await StartManagedClusterAsync();
        var connectionString = ServerSql.App(cluster.AppConnectionString, "freeze", b =>
        {
            b.CommandTimeout = 1;
            b.CancellationTimeout = 500;
            b.Timeout = 2;
        });
        await using var conn = await ServerSql.OpenAsync(connectionString, Timeout);

        await cluster.FreezeAsync(Timeout);

        ProcessTree.Descendants(cluster.PostmasterPid).Should().NotBeEmpty();
        File.ReadAllText($"/proc/{cluster.PostmasterPid}/stat").Should().MatchRegex(@"\) T ", "the postmaster is stopped");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var query = () => conn.ScalarAsync<int>("SELECT 1", Timeout);
        (await query.Should().ThrowAsync<NpgsqlException>()).Which.InnerException.Should().BeOfType<TimeoutException>();
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(10));

        await cluster.ThawAsync(Timeout);

        await using var after = await ServerSql.OpenAsync(connectionString, Timeout);
        (await after.ScalarAsync<int>("SELECT 1", Timeout)).Should().Be(1);
    }

    [Test]
    public async Task Several_clusters_run_at_once_on_distinct_ports()
    {
        var clusters = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => StartManagedClusterAsync()));

        clusters.Select(c => c.Port).Should().OnlyHaveUniqueItems();
        foreach (var cluster in clusters)
        {
            await using var conn = await cluster.OpenAppAsync("several", Timeout);
            (await conn.ScalarAsync<string>("SHOW port", Timeout)).Should().Be(cluster.Port.ToString());
        }
    }

    [Test]
    public async Task A_second_cluster_copies_the_cached_template_instead_of_running_initdb()
    {
        await StartManagedClusterAsync();
        var initDbRuns = TemplateCache.InitDbRuns;

        var second = await StartManagedClusterAsync();

        TemplateCache.InitDbRuns.Should().Be(initDbRuns);
        (await second.AdminScalarAsync<int>("SELECT 1", Timeout)).Should().Be(1);
    }

    [Test]
    public async Task Server_processes_run_as_the_unprivileged_user_when_the_harness_is_root()
    {
        Assume.That(Native.IsRoot, "only meaningful when the tests run as root");
        var cluster = await StartManagedClusterAsync();
        var expected = ServerUser.Detect(TestServers.Environment());

        var pids = ProcessTree.Descendants(cluster.PostmasterPid).Prepend(cluster.PostmasterPid).ToList();

        pids.Should().HaveCountGreaterThan(1);
        // A child may exit between listing and reading (a finished backend, an autovacuum worker): skip the gone.
        var uids = pids.Select(pid => (Pid: pid, Uid: Uid(pid))).Where(p => p.Uid is not null).ToList();
        uids.Should().Contain(p => p.Pid == cluster.PostmasterPid);
        foreach (var (pid, uid) in uids) uid.Should().Be(expected.Uid, $"process {pid} ({ProcessTree.CommandLine(pid)}) must not run as root");
        (await cluster.AdminScalarAsync<string>("SELECT current_setting('data_directory')", Timeout)).Should().Be(cluster.DataDir);
    }

    [Test]
    public async Task Dispose_after_a_failed_test_stops_the_server_and_deletes_its_directory()
    {
        var cluster = await TestServers.StartManagedClusterAsync(ct: Timeout);
        var (pid, dir) = (cluster.PostmasterPid, cluster.Dir!);

        try
        {
            await using (cluster)
                throw new InvalidOperationException("the test failed");
        }
        catch (InvalidOperationException) { }

        ProcessTree.IsAlive(pid).Should().BeFalse();
        Directory.Exists(dir).Should().BeFalse();
        File.Exists(cluster.LogPath).Should().BeTrue("the log stays for the run");
    }

    [Test]
    public async Task Dispose_of_a_frozen_cluster_thaws_and_stops_it()
    {
        var cluster = await TestServers.StartManagedClusterAsync(ct: Timeout);
        var (pid, dir) = (cluster.PostmasterPid, cluster.Dir!);
        var children = ProcessTree.Descendants(pid);
        await cluster.FreezeAsync(Timeout);

        await cluster.DisposeAsync();

        children.Prepend(pid).Where(ProcessTree.IsAlive).Should().BeEmpty();
        Directory.Exists(dir).Should().BeFalse();
    }

    private static int? Uid(int pid)
    {
        try
        {
            return int.Parse(File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("Uid:")).Split('\t', StringSplitOptions.RemoveEmptyEntries)[1]);
        }
        catch (Exception e) when (e is DirectoryNotFoundException or FileNotFoundException or IOException)
        {
            return null;
        }
    }
}
