using Chaos.Harness.Servers;
using Chaos.Tests.Support;
using FluentAssertions;
using Npgsql;
using NUnit.Framework;

namespace Chaos.Tests.Servers;

public class BackendTests : ServerTest
{
    [Test]
    public async Task Terminating_by_application_name_kills_only_that_application()
    {
        var cluster = await StartManagedClusterAsync();
        await using var victim = await cluster.OpenAppAsync("term-victim", Timeout);
        await using var bystander = await cluster.OpenAppAsync("term-bystander", Timeout);

        var terminated = await cluster.TerminateBackendsAsync(new BackendSelector { ApplicationName = "term-victim" }, Timeout);

        terminated.Should().Be(1);
        await ShouldBeBroken(victim);
        (await bystander.ScalarAsync<int>("SELECT 1", Timeout)).Should().Be(1);
    }

    [Test]
    public async Task Terminating_by_state_kills_only_sessions_idle_in_transaction()
    {
        var cluster = await StartManagedClusterAsync();
        await using var inTransaction = await cluster.OpenAppAsync("term-state", Timeout);
        await using var idle = await cluster.OpenAppAsync("term-state", Timeout);
        await inTransaction.ExecuteAsync("BEGIN; SELECT 1", Timeout);

        var terminated = await cluster.TerminateBackendsAsync(new BackendSelector { State = "idle in transaction" }, Timeout);

        terminated.Should().Be(1);
        await ShouldBeBroken(inTransaction);
        (await idle.ScalarAsync<int>("SELECT 1", Timeout)).Should().Be(1);
    }

    [Test]
    public async Task Terminating_by_age_kills_only_the_older_sessions()
    {
        var cluster = await StartManagedClusterAsync();
        await using var old = await cluster.OpenAppAsync("term-age", Timeout);
        // Not synchronisation: the two sessions need backend_start times far enough apart to select by age.
        await Task.Delay(TimeSpan.FromSeconds(1.5), Timeout);
        await using var young = await cluster.OpenAppAsync("term-age", Timeout);

        var terminated = await cluster.TerminateBackendsAsync(new BackendSelector { OlderThan = TimeSpan.FromSeconds(1) }, Timeout);

        terminated.Should().Be(1);
        await ShouldBeBroken(old);
        (await young.ScalarAsync<int>("SELECT 1", Timeout)).Should().Be(1);
    }

    [Test]
    public async Task Terminating_by_pid_kills_exactly_that_backend()
    {
        var cluster = await StartManagedClusterAsync();
        await using var victim = await cluster.OpenAppAsync("term-pid", Timeout);
        await using var bystander = await cluster.OpenAppAsync("term-pid", Timeout);

        var terminated = await cluster.TerminateBackendsAsync(new BackendSelector { Pid = victim.ProcessID }, Timeout);

        terminated.Should().Be(1);
        await ShouldBeBroken(victim);
        (await bystander.ScalarAsync<int>("SELECT 1", Timeout)).Should().Be(1);
    }

    [Test]
    public async Task The_activity_snapshot_counts_client_sessions_by_application_and_state_without_the_harness()
    {
        var cluster = await StartManagedClusterAsync();
        await using var a1 = await cluster.OpenAppAsync("act-a", Timeout);
        await using var a2 = await cluster.OpenAppAsync("act-a", Timeout);
        await using var b = await cluster.OpenAppAsync("act-b", Timeout);
        await b.ExecuteAsync("BEGIN; SELECT 1", Timeout);

        var snapshot = await cluster.GetActivityAsync(Timeout);

        snapshot.Total.Should().Be(3);
        snapshot.CountFor("act-a").Should().Be(2);
        snapshot.CountFor("act-a", "idle").Should().Be(2);
        snapshot.Counts[("act-b", "idle in transaction")].Should().Be(1);
        snapshot.IdleInTransaction.Should().Be(1);
        snapshot.OldestBackendAge.Should().BePositive();
        snapshot.Backends.Select(x => x.Pid).Should().BeEquivalentTo([a1.ProcessID, a2.ProcessID, b.ProcessID]);
    }

    [Test]
    public async Task A_frozen_cluster_refuses_admin_queries_instead_of_hanging()
    {
        var cluster = await StartManagedClusterAsync();
        await cluster.FreezeAsync(Timeout);

        var snapshot = () => cluster.GetActivityAsync(Timeout);

        await snapshot.Should().ThrowAsync<InvalidOperationException>().WithMessage("*frozen*");
    }

    private async Task ShouldBeBroken(NpgsqlConnection conn)
    {
        var query = () => conn.ScalarAsync<int>("SELECT 1", Timeout);
        await query.Should().ThrowAsync<NpgsqlException>();
    }
}
