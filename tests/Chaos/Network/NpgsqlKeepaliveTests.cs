using System.Diagnostics;
using System.Net;
using Chaos.Harness.Network.Kernel;
using Chaos.Tests.Support;
using FluentAssertions;
using Npgsql;
using NUnit.Framework;

namespace Chaos.Tests.Network;

/// <summary>
/// Claim 12: TCP keepalive settings detect a dead network path, on Linux too. Npgsql documents
/// <c>Tcp Keepalive Time</c> and <c>Tcp Keepalive Interval</c> as Windows-only; these tests read what
/// reaches the socket on Linux and what it does during a partition.
/// </summary>
public class NpgsqlKeepaliveTests : KernelNetworkTest
{
    private const string TcpKeepalive = "Tcp Keepalive=true;Tcp Keepalive Time=1;Tcp Keepalive Interval=1";
    private const int ConnectTimeout = 3;

    /// <summary>
    /// On top of the kernel's promise and the measured stalls (<see cref="StallWatch"/>): each of the ten
    /// 1 s keepalive timers may fire up to 64 ms late (the timer wheel's granularity at that range), and
    /// the test polls. Measured: the socket ended 9.8 to 11.1 s after the partition, with 9 probes.
    /// </summary>
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(3);
    private const string Established = "01", SynSent = "02";

    [Test]
    public async Task Npgsql_puts_tcp_keepalive_time_and_interval_on_its_socket_on_Linux()
    {
        var pg = await StartPostgresAsync();
        var probes = await KeepaliveProbesAsync();

        await using (var plain = await OpenAsync(pg, "plain"))
            TcpSocketOptions.ConnectedTo(Endpoint(pg)).Should().ContainSingle().Which.Enabled.Should().BeFalse("keepalive is off by default");
        await using var conn = await OpenAsync(pg, "tcp-keepalive", TcpKeepalive);
        var options = TcpSocketOptions.ConnectedTo(Endpoint(pg));

        TestContext.Out.WriteLine($"socket options with '{TcpKeepalive}': {options.Single()}");
        options.Should().ContainSingle().Which.Should().Be(new TcpKeepaliveOptions(Enabled: true, IdleSeconds: 1, IntervalSeconds: 1, Probes: probes),
            "Npgsql sets SO_KEEPALIVE, TCP_KEEPIDLE and TCP_KEEPINTVL on Linux, and no probe count: the client namespace's net.ipv4.tcp_keepalive_probes applies");
    }

    [Test]
    public async Task With_tcp_keepalive_the_kernel_ends_a_partitioned_query_s_socket_within_the_probe_budget_but_Npgsql_reports_a_timeout_only_after_trying_to_cancel()
    {
        var pg = await StartPostgresAsync();
        var probes = await KeepaliveProbesAsync();
        // Timeout (the connect timeout) bounds the cancellation attempt; small, to keep the test short.
        await using var conn = await OpenAsync(pg, "in-flight", $"{TcpKeepalive};Timeout={ConnectTimeout}");
        await using var cmd = new NpgsqlCommand("SELECT pg_sleep(120)", conn) { CommandTimeout = 0 };
        var query = cmd.ExecuteNonQueryAsync(Timeout);
        await TestServers.EventuallyAsync(() => ActiveQueriesAsync(pg), TimeSpan.FromSeconds(5), "the query to run on the server");
        // Keepalive only runs on a socket with nothing unacknowledged: the server's (delayed) ACK of the
        // query must be in, or this is the next test's case. Measured: a partition 30 ms after the query
        // sometimes beat the ACK, and then the socket outlived the test.
        await TestServers.EventuallyAsync(() => TcpSocketOptions.Unacknowledged(Endpoint(pg)) == 0, TimeSpan.FromSeconds(2), "the server to acknowledge the query");

        using var stalls = StallWatch.Start();
        await pg.Host.ApplyAsync(new Partition(), Timeout);
        var clock = Stopwatch.StartNew();
        await UntilSocketsEndAsync(pg, TimeSpan.FromSeconds(1 + probes) + Slack, stalls, "the kernel to end the connection after its keepalive probes went unanswered");
        var socketDied = clock.Elapsed;
        await TestServers.EventuallyAsync(() => query.IsCompleted || TcpSocketOptions.Count(Endpoint(pg), SynSent) > 0, TimeSpan.FromSeconds(3),
            "Npgsql to open a connection for a cancel request");
        var cancelAttempted = !query.IsCompleted;
        var failure = await FluentActions.Awaiting(() => query).Should().ThrowAsync<NpgsqlException>();
        var reported = clock.Elapsed;

        TestContext.Out.WriteLine($"probes {probes}: socket ended {socketDied.TotalSeconds:0.0}s after the partition, Npgsql reported {reported.TotalSeconds:0.0}s (worst stall {stalls.Worst.TotalMilliseconds:0} ms): " +
                                  $"{failure.Which.Message} <- {failure.Which.InnerException?.GetType().Name}: {failure.Which.InnerException?.Message}");
        socketDied.Should().BeGreaterThan(TimeSpan.FromSeconds(probes - 1), "it is the probes that end it, one per second");
        cancelAttempted.Should().BeTrue("Npgsql takes the kernel's ETIMEDOUT for a command timeout and tries to cancel the query, over the dead path");
        failure.Which.InnerException.Should().BeOfType<TimeoutException>("the application sees a timeout, not a broken network");
        // Measured: the cancellation attempt costs about twice the connect timeout (15 s default: about 29 s).
        (reported - socketDied).Should().BeGreaterThan(TimeSpan.FromSeconds(ConnectTimeout) - TimeSpan.FromSeconds(0.5))
            .And.BeLessThan(TimeSpan.FromSeconds(2 * ConnectTimeout) + Slack + stalls.Worst);
        conn.State.Should().Be(System.Data.ConnectionState.Closed);
    }

    [Test]
    public async Task With_tcp_keepalive_a_request_the_server_never_acknowledged_outlives_the_probe_budget()
    {
        var pg = await StartPostgresAsync();
        var probes = await KeepaliveProbesAsync();
        await using var conn = await OpenAsync(pg, "unacknowledged", TcpKeepalive);
        await pg.Host.ApplyAsync(new Partition(), Timeout);

        await using var cmd = new NpgsqlCommand("SELECT 1", conn) { CommandTimeout = 0 };
        var query = cmd.ExecuteScalarAsync(Timeout);
        await TestServers.EventuallyAsync(() => TcpSocketOptions.Unacknowledged(Endpoint(pg)) > 0, TimeSpan.FromSeconds(2), "the query to be sent");
        await Task.Delay(TimeSpan.FromSeconds(1 + probes) + Slack, Timeout); // the whole keepalive budget, and then some
        var established = TcpSocketOptions.Count(Endpoint(pg), Established);
        var completedDuringPartition = query.IsCompleted;
        await pg.Host.ClearAsync(Timeout);
        var answer = await query.WaitAsync(TimeSpan.FromSeconds(30), Timeout);

        // Linux sends no keepalive probe while data is unacknowledged: retransmissions govern the socket,
        // and they give up only after net.ipv4.tcp_retries2 (about 15 minutes) or TCP_USER_TIMEOUT, which
        // Npgsql does not set. The partition went unnoticed; healing it let the retransmitted query through.
        established.Should().Be(1, "keepalive does not end a socket with unacknowledged data");
        completedDuringPartition.Should().BeFalse();
        answer.Should().Be(1);
    }

    [Test]
    public async Task With_tcp_keepalive_an_idle_connection_s_next_query_fails_at_once_after_the_probes_ran_out()
    {
        var pg = await StartPostgresAsync();
        var probes = await KeepaliveProbesAsync();
        await using var conn = await OpenAsync(pg, "idle", TcpKeepalive);

        using var stalls = StallWatch.Start();
        await pg.Host.ApplyAsync(new Partition(), Timeout);
        await UntilSocketsEndAsync(pg, TimeSpan.FromSeconds(1 + probes) + Slack, stalls, "the kernel to end the idle connection");
        var stateWhileIdle = conn.State;
        await using var cmd = new NpgsqlCommand("SELECT 1", conn);
        var clock = Stopwatch.StartNew();
        await FluentActions.Awaiting(() => cmd.ExecuteScalarAsync(Timeout)).Should().ThrowAsync<NpgsqlException>();

        stateWhileIdle.Should().Be(System.Data.ConnectionState.Open, "Npgsql does not watch an idle socket: nobody learns of its death until the next use");
        // Measured 0.0-1.2 s; a command timeout (30 s) or a cancellation attempt (2 x Timeout, 30 s) would be far longer.
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(2) + stalls.Worst, "the next use fails on the dead socket at once, with no cancellation attempt");
    }

    private async Task<NamespacedPostgres> StartPostgresAsync()
    {
        var clock = Stopwatch.StartNew();
        var pg = Own(await NamespacedPostgres.StartAsync(await CreateHostAsync(), Timeout));
        TestContext.Out.WriteLine($"host and postgres ready in {clock.Elapsed.TotalSeconds:0.0}s");
        return pg;
    }

    private async Task<NpgsqlConnection> OpenAsync(NamespacedPostgres pg, string name, string extra = "")
    {
        var conn = new NpgsqlConnection(pg.ConnectionString($"{nameof(NpgsqlKeepaliveTests)}-{name}", extra));
        await conn.OpenAsync(Timeout);
        return conn;
    }

    private async Task<bool> ActiveQueriesAsync(NamespacedPostgres pg)
    {
        await using var probe = await OpenAsync(pg, "probe");
        await using var cmd = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%' AND state = 'active'", probe);
        return (long)(await cmd.ExecuteScalarAsync(Timeout))! > 0;
    }

    /// <summary>Waits until no socket to the server is established; on failure says what the kernel's keepalive timers show.</summary>
    private async Task UntilSocketsEndAsync(NamespacedPostgres pg, TimeSpan within, StallWatch stalls, string what)
    {
        var clock = Stopwatch.StartNew();
        while (TcpSocketOptions.Count(Endpoint(pg), Established) > 0)
        {
            if (clock.Elapsed > within + stalls.Worst)
            {
                var ss = await NetTool.TryRunAsync(NetTool.Find("ss") ?? "ss", ["-tnoi", "dst", pg.Host.Address.ToString()], Timeout);
                Assert.Fail($"waited {clock.Elapsed.TotalSeconds:0.0}s (worst stall {stalls.Worst.TotalMilliseconds:0} ms) for {what}; sockets:\n{ss.Stdout}");
            }
            await Task.Delay(20, Timeout);
        }
    }

    /// <summary>The probe count the client's sockets get when the application sets none (Npgsql sets none): a sysctl of the harness's own namespace.</summary>
    private async Task<int> KeepaliveProbesAsync() => int.Parse(await File.ReadAllTextAsync("/proc/sys/net/ipv4/tcp_keepalive_probes", Timeout));

    private static IPEndPoint Endpoint(NamespacedPostgres pg) => new(pg.Host.Address, NamespacedPostgres.Port);
}
