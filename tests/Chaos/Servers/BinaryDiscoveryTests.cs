using Chaos.Harness.Servers;
using Chaos.Harness.Servers.Internal;
using Chaos.Tests.Support;
using FluentAssertions;
using NUnit.Framework;

namespace Chaos.Tests.Servers;

public class BinaryDiscoveryTests
{
    [Test]
    public void CHAOS_PG_BIN_pointing_nowhere_is_named_in_the_message()
    {
        var locate = () => PgBinaries.Locate(TestServers.Environment(("CHAOS_PG_BIN", "/nonexistent/pg/bin")));

        locate.Should().Throw<ServerSetupException>()
            .WithMessage("CHAOS_PG_BIN is '/nonexistent/pg/bin', but that directory has no postgres and initdb*");
    }

    [Test]
    public void No_binaries_anywhere_names_what_was_searched_and_how_to_install()
    {
        var locate = () => PgBinaries.Locate(
            TestServers.Environment(("CHAOS_PG_BIN", null), ("PATH", "/nonexistent")), usualLocations: ["/nowhere/bin"]);

        locate.Should().Throw<ServerSetupException>()
            .WithMessage("*not found. Searched: CHAOS_PG_BIN (not set); pg_config on PATH (not found); /nowhere/bin*apt-get install postgresql*CHAOS_PG_BIN*");
    }

    [Test]
    public void The_usual_locations_find_the_newest_installed_server()
    {
        Assume.That(Directory.Exists("/usr/lib/postgresql"), "Debian-style install only");

        var found = PgBinaries.Locate(TestServers.Environment(("CHAOS_PG_BIN", null), ("PATH", "/nonexistent")));

        File.Exists(found.Postgres).Should().BeTrue();
        found.BinDir.Should().StartWith("/usr/lib/postgresql/");
    }

    [Test]
    public async Task Creating_a_cluster_without_binaries_fails_with_the_setup_message()
    {
        var create = () => ManagedServer.StartAsync(
            null, TestServers.Environment(("CHAOS_PG_BIN", "/nonexistent/pg/bin")), null, CancellationToken.None);

        (await create.Should().ThrowAsync<ServerSetupException>()).Which.Message.Should().Contain("CHAOS_PG_BIN");
    }
}
