using Chaos.Harness.Servers;
using Chaos.Tests.Support;
using FluentAssertions;
using NUnit.Framework;

namespace Chaos.Tests.Servers;

public class AttachModeTests : ServerTest
{
    [Test]
    public async Task CHAOS_PG_ADMIN_attaches_with_its_own_role_and_database_and_drops_them_on_dispose()
    {
        var server = await StartManagedClusterAsync();

        var attached = await AttachAsync(server);

        attached.Capabilities.Should().Be(Harness.Capability.None);
        (await attached.ReadLogAsync(Timeout)).Should().Contain("not available");
        attached.Port.Should().Be(server.Port);
        attached.Database.Should().NotBe(server.Database);
        await using (var conn = await attached.OpenAppAsync("attached", Timeout))
        {
            (await conn.ScalarAsync<string>("SELECT current_user", Timeout)).Should().Be(attached.AppUser);
            (await attached.GetActivityAsync(Timeout)).CountFor("attached").Should().Be(1);
            (await attached.TerminateBackendsAsync(new BackendSelector { ApplicationName = "attached" }, Timeout)).Should().Be(1);
        }

        await attached.DisposeAsync();

        (await server.AdminScalarAsync<long>($"SELECT count(*) FROM pg_database WHERE datname = '{attached.Database}'", Timeout)).Should().Be(0);
        (await server.AdminScalarAsync<long>($"SELECT count(*) FROM pg_roles WHERE rolname = '{attached.AppUser}'", Timeout)).Should().Be(0);
    }

    [Test]
    public async Task An_attached_server_offers_no_process_control_and_faults_that_need_it_are_not_applicable()
    {
        var attached = await AttachAsync(await StartManagedClusterAsync());

        attached.Should().NotBeAssignableTo<IProcessControl>().And.NotBeAssignableTo<IFreezable>().And.NotBeAssignableTo<IBackendFreezable>();
        Harness.Capabilities.Missing(Harness.Capability.ProcessControl, attached.Capabilities).Should().StartWith("needs a managed server");
    }

    [Test]
    public async Task Options_an_attached_server_cannot_honour_are_refused_and_the_rest_become_role_defaults()
    {
        var server = await StartManagedClusterAsync();

        var refuse = () => AttachAsync(server, new PostgresOptions { MaxConnections = 7 });
        await refuse.Should().ThrowAsync<NeedsManagedServerException>().WithMessage("needs a managed server: max_connections=7 (the attached server has 100)*");

        var attached = await AttachAsync(server, new PostgresOptions { IdleSessionTimeout = TimeSpan.FromSeconds(30) });
        await using var conn = await attached.OpenAppAsync("attached-options", Timeout);
        (await conn.ScalarAsync<string>("SHOW idle_session_timeout", Timeout)).Should().Be("30s");
    }

    private async Task<AttachedServer> AttachAsync(IPostgresServer server, PostgresOptions? options = null) =>
        Track(await AttachedServer.AttachAsync(server.AdminConnectionString, options, Timeout));
}
