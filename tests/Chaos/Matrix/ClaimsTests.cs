using System.Diagnostics;
using Chaos.Harness.Checking;
using Microsoft.EntityFrameworkCore;
using Chaos.Harness.Expectations;
using Chaos.Harness.History;
using Chaos.Harness.Reports;
using Chaos.Harness.Scenarios;
using Chaos.Harness.Faults;
using Chaos.Harness.Matrix;
using Chaos.Harness.Profiles;
using Chaos.Harness.Proxy;
using Chaos.Harness.Servers;
using Chaos.Tests.Support;
using FluentAssertions;
using Npgsql;
using NUnit.Framework;

namespace Chaos.Tests.Matrix;

/// <summary>
/// The claims our users arrive with (design.md), each translated to Npgsql, measured, and the finding
/// asserted. Costs are asserted as mechanisms (statements and server sessions per request, counted by
/// the server) and reported in milliseconds, never asserted as timings.
/// </summary>
[TestFixture]
[NonParallelizable]
public class ClaimsTests : ServerTest
{
    private const int Requests = 500;

    [Test]
    public async Task Claim_1_a_default_pool_hands_out_stale_connections_after_the_server_closed_them()
    {
        var cell = await MatrixCells.GetAsync("idle-backends-killed", "npgsql-defaults");
        cell.Verdict.Should().Be(Verdict.Recovered);
        var errors = cell.Timeline.Where(e => e.Kind == "error").ToList();
        errors.Should().NotBeEmpty().And.OnlyContain(e => e.SqlState == "57P01", "the stale connection reports the admin shutdown it was sent");
        // Npgsql clears the whole pool on 57P01, so the damage is bounded by the requests already in flight.
        cell.Errors.Should().BeInRange(1, WorkloadWorkers, "at most one error per concurrent request, not one per pooled connection");
    }

    [Test]
    public async Task Claim_2_validation_on_checkout_rescues_stale_connections_at_one_extra_round_trip_per_checkout()
    {
        (await MatrixCells.GetAsync("idle-backends-killed", "validate-on-checkout")).Verdict.Should().Be(Verdict.Survived);
        RestartTimeout();

        var cluster = await StartClusterAsync();
        await MeasureAsync(cluster, ProfileCatalog.NpgsqlDefaults); // warm-up: JIT and first connections, not measured
        var plain = await MeasureAsync(cluster, ProfileCatalog.NpgsqlDefaults);
        var validated = await MeasureAsync(cluster, ProfileCatalog.ValidateOnCheckout);
        await Report($"validate-on-checkout: {validated.MsPerRequest - plain.MsPerRequest:0.000} ms extra per checkout ({validated.MsPerRequest:0.000} vs {plain.MsPerRequest:0.000} ms per request)");

        (validated.Statements - plain.Statements).Should().BeCloseTo(Requests, 5, "one SELECT 1 per checkout");
        validated.Sessions.Should().Be(plain.Sessions, "validation reuses pooled connections");
    }

    [Test]
    public async Task Claim_3_validation_cannot_rescue_a_transaction_that_dies_mid_flight_but_an_idempotent_retry_can()
    {
        var validated = await MatrixCells.GetAsync("backend-killed-mid-transaction", "validate-on-checkout");
        validated.Verdict.Should().Be(Verdict.Recovered);
        (validated.Errors + validated.Unknown).Should().BeGreaterThan(0, "the error reaches the application");

        var retried = await MatrixCells.GetAsync("backend-killed-mid-transaction", "retry-idempotent");
        retried.Verdict.Should().Be(Verdict.Survived);
        retried.Lost.Should().Be(0);
        retried.Duplicated.Should().Be(0);
    }

    [Test]
    public async Task Claim_4_recycling_by_age_closes_the_max_age_gap_and_costs_handshakes_when_aggressive()
    {
        (await MatrixCells.GetAsync("max-connection-age", "recycle")).Verdict.Should().Be(Verdict.Survived);
        (await MatrixCells.GetAsync("max-connection-age", "npgsql-defaults")).Verdict.Should().Be(Verdict.Recovered);
        RestartTimeout();

        var cluster = await StartClusterAsync();
        var plain = await MeasureAsync(cluster, ProfileCatalog.NpgsqlDefaults, pause: TimeSpan.FromMilliseconds(5));
        var aggressive = await MeasureAsync(cluster, ProfileCatalog.Custom("recycle-1s", "Connection Lifetime=1"), pause: TimeSpan.FromMilliseconds(5));
        await Report($"Connection Lifetime=1: {aggressive.Sessions} server sessions for {Requests} requests over {aggressive.Elapsed.TotalSeconds:0.0} s (defaults: {plain.Sessions}); {aggressive.MsPerRequest:0.00} vs {plain.MsPerRequest:0.00} ms per request");
        plain.Sessions.Should().Be(1, "a sequential client reuses one pooled connection");
        aggressive.Sessions.Should().BeGreaterThan(plain.Sessions, "every connection older than its lifetime is replaced by a new handshake");
    }

    [Test]
    public async Task Claim_5_a_bounded_pool_fails_fast_and_an_unbounded_one_queues_silently()
    {
        var bounded = await MatrixCells.GetAsync("pool-exhaustion", "bounded");
        bounded.Verdict.Should().Be(Verdict.Recovered, "the checkout timeout turns overload into errors");
        bounded.PeakServerConnections.Should().BeLessThanOrEqualTo(20);

        var defaults = await MatrixCells.GetAsync("pool-exhaustion", "npgsql-defaults");
        defaults.Verdict.Should().Be(Verdict.Survived);
        defaults.P99Ms.Should().BeGreaterThan(1000, "requests waited behind the long-held sessions instead of failing");
        defaults.PeakServerConnections.Should().BeGreaterThan(20, "the pool grew to hold the burst");
    }

    [Test]
    public async Task Claim_6_a_larger_pool_does_not_grow_the_error_storm_because_npgsql_clears_the_pool()
    {
        // Minimum Pool Size does not open connections in Npgsql, so the pool is warmed for real by a burst.
        await using var proxy = await ProxyHost.StartAsync(Timeout);
        var small = (await MatrixRunner.RunCellAsync(new WarmThenKillIdle(5), ProfileCatalog.NpgsqlDefaults, ServerBackend.FromEnvironment(), proxy.Client, Timeout)).ToRecord();
        var large = (await MatrixRunner.RunCellAsync(new WarmThenKillIdle(20), ProfileCatalog.NpgsqlDefaults, ServerBackend.FromEnvironment(), proxy.Client, Timeout)).ToRecord();
        await Report($"errors after every idle backend was killed, 4 requests resuming: pool warmed to {small.PeakServerConnections} -> {small.Errors} error(s), warmed to {large.PeakServerConnections} -> {large.Errors} error(s)");

        large.PeakServerConnections.Should().BeGreaterThanOrEqualTo(20, "the pool really held 20 connections when they were killed");
        small.Errors.Should().BeInRange(1, WorkloadWorkers);
        large.Errors.Should().BeInRange(1, WorkloadWorkers, "bounded by requests in flight, not by pool size: the first 57P01 clears the pool");
    }

    /// <summary>idle-backends-killed after the pool was warmed by a burst of held sessions.</summary>
    private sealed class WarmThenKillIdle(int warm) : IFault
    {
        public string Name => $"idle-backends-killed-warm-{warm}";
        public string Description => $"warm the pool to {warm} connections, then kill every idle backend";

        public Scenario Scenario { get; } = Scenario.Of([new Burst(OpKind.Hold, warm), .. new IdleBackendsKilled().Scenario.Steps]);

        public ExpectationRules Expected { get; } = ExpectationRules.Otherwise(Verdict.Recovered, "as idle-backends-killed x npgsql-defaults");
    }

    [Test]
    public async Task Claim_7_no_pooling_pays_a_handshake_per_request_and_pgbouncer_loses_session_state()
    {
        var cluster = await StartClusterAsync();
        await MeasureAsync(cluster, ProfileCatalog.NpgsqlDefaults); // warm-up: JIT and first connections, not measured
        var pooled = await MeasureAsync(cluster, ProfileCatalog.NpgsqlDefaults);
        var unpooled = await MeasureAsync(cluster, ProfileCatalog.NoPooling);
        await Report($"no-pooling: {unpooled.MsPerRequest - pooled.MsPerRequest:0.00} ms extra per request ({unpooled.MsPerRequest:0.00} vs {pooled.MsPerRequest:0.00} ms)");
        unpooled.Sessions.Should().Be(Requests, "one server session per request");
        pooled.Sessions.Should().Be(1);

        (await MatrixCells.GetAsync("connection-limit", "no-pooling-via-pgbouncer")).Verdict.Should().Be(Verdict.Survived,
            "PgBouncer multiplexes past max_connections");
        (await MatrixCells.GetAsync("session-state-loss", "pooled-via-pgbouncer")).Verdict.Should().Be(Verdict.Corrupted,
            "session state set in one transaction is gone or someone else's in the next");
    }

    [TestCase(HealthCheck.Loop)]
    [TestCase(HealthCheck.AspNetCore)]
    // object: HealthCheck is internal, and an NUnit test method must be public.
    public async Task Claim_8_a_background_health_check_does_help_npgsql_because_its_failure_clears_the_whole_pool(object healthCheck)
    {
        var kind = (HealthCheck)healthCheck;
        await using var proxy = await ProxyHost.StartAsync(Timeout);
        var checkedProfile = ProfileCatalog.Custom("health-check", "Maximum Pool Size=100") with { HealthCheck = kind };
        var cell = (await MatrixRunner.RunCellAsync(FaultCatalog.Get("idle-backends-killed"), checkedProfile, ServerBackend.FromEnvironment(), proxy.Client, Timeout)).ToRecord();
        await Report($"idle-backends-killed with the {kind} health check: {cell.Verdict.ToWire()}, {cell.Errors} error(s); {cell.Reason}");

        cell.Timeline.Should().Contain(e => e.Kind == "broken" && e.Detail.Contains("health check"), "the health check met a killed connection during the idle period");
        cell.Verdict.Should().Be(Verdict.Survived,
            "the health check's 57P01 makes Npgsql clear the pool, so the requests that follow get fresh connections; SQLAlchemy's pool has no such clear, which is where the claim comes from");
    }

    [Test]
    public async Task Claim_9_instances_times_pool_size_beyond_max_connections_is_refused_by_the_server()
    {
        var cell = await MatrixCells.GetAsync("connection-limit", "npgsql-defaults");
        cell.Verdict.Should().Be(Verdict.Recovered);
        cell.Timeline.Should().Contain(e => e.SqlState == "53300", "too_many_connections is what the application sees");
    }

    [Test]
    public async Task Claim_10_EnableRetryOnFailure_applies_a_write_twice_when_a_commit_answer_is_lost_and_a_verified_strategy_does_not()
    {
        var onFailure = await MatrixCells.GetAsync("commit-ack-lost", "efcore-retry-on-failure");
        var verified = await MatrixCells.GetAsync("commit-ack-lost", "efcore-retry-verified");
        await Report($"commit-ack-lost: EnableRetryOnFailure {onFailure.Verdict.ToWire()} ({onFailure.Duplicated} duplicated), ExecuteInTransactionAsync+verifySucceeded {verified.Verdict.ToWire()}");

        onFailure.Verdict.Should().Be(Verdict.Corrupted);
        onFailure.Duplicated.Should().Be(1, "the one COMMIT whose answer was lost ran again");
        verified.Verdict.Should().Be(Verdict.Survived);
        verified.Duplicated.Should().Be(0);
    }

    [Test]
    public async Task Claim_10_EnableRetryOnFailure_refuses_a_transaction_the_application_begins_outside_the_strategy()
    {
        var cluster = await StartClusterAsync();
        var options = new Microsoft.EntityFrameworkCore.DbContextOptionsBuilder<Harness.Drivers.EfCore.ChaosDbContext>()
            .UseNpgsql(cluster.AppConnectionString, npgsql => npgsql.EnableRetryOnFailure())
            .Options;
        await using var context = new Harness.Drivers.EfCore.ChaosDbContext(options);

        // Beginning is allowed; the strategy refuses at the first command it would have to retry inside that transaction.
        await using var transaction = await context.Database.BeginTransactionAsync(Timeout);
        context.Writes.Add(new Harness.Drivers.EfCore.WriteRow { WriteId = Guid.NewGuid() });
        var save = () => context.SaveChangesAsync(Timeout);

        (await save.Should().ThrowAsync<InvalidOperationException>()).Which.Message.Should().Contain("does not support user-initiated transactions");
    }

    [Test]
    public async Task Claim_11_a_multi_host_connection_string_rides_out_a_failover_only_when_it_rechecks_its_hosts()
    {
        var defaults = await MatrixCells.GetAsync("failover-sync", "multihost");
        var recheck = await MatrixCells.GetAsync("failover-sync", "multihost-recheck");
        await Report($"failover-sync: multihost {defaults.Verdict.ToWire()} ({defaults.Reason}); multihost-recheck {recheck.Verdict.ToWire()}, first write {recheck.FirstWriteMs} ms after the crash");

        defaults.Verdict.Should().Be(Verdict.Failed);
        defaults.Timeline.Should().Contain(e => e.Detail.Contains("No suitable host was found"), "Npgsql still takes the promoted server for a standby");
        recheck.Verdict.Should().Be(Verdict.Recovered);
        recheck.Lost.Should().Be(0, "synchronous replication loses nothing acknowledged");
    }

    [Test]
    public async Task Asynchronous_failover_loses_acknowledged_writes_and_synchronous_failover_none()
    {
        var asynchronous = await MatrixCells.GetAsync("failover-async", "npgsql-defaults");
        var synchronous = await MatrixCells.GetAsync("failover-sync", "npgsql-defaults");
        await Report($"failover: async lost {asynchronous.Lost} acknowledged write(s); sync lost {synchronous.Lost}, {synchronous.Unknown} unknown outcome(s)");

        asynchronous.Verdict.Should().Be(Verdict.Corrupted);
        asynchronous.Lost.Should().BeGreaterThan(0);
        synchronous.Lost.Should().Be(0);
    }

    private const int WorkloadWorkers = 4;

    private Task<Cost> MeasureAsync(IPostgresServer cluster, Profile profile, TimeSpan? pause = null) =>
        CostMeasurement.MeasureAsync(cluster, profile, Requests, pause, Timeout);

    private static Task Report(string line) => TestContext.Out.WriteLineAsync(line);
}
