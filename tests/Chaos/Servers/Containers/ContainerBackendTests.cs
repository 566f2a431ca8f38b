using System.Diagnostics;
using Chaos.Cli;
using Chaos.Harness;
using Chaos.Harness.Faults;
using Chaos.Harness.Servers;
using Chaos.Harness.Servers.Containers;
using Chaos.Tests.Support;
using FluentAssertions;
using NUnit.Framework;
using Spectre.Console;
using Capabilities = Chaos.Harness.Capabilities;

namespace Chaos.Tests.Servers.Containers;

/// <summary>Choosing the container backend, and what a user is told when it cannot run: no Docker engine needed.</summary>
[Category("containers")]
public class ContainerBackendTests
{
    [Test]
    public void CHAOS_SERVERS_containers_selects_containers_of_CHAOS_PG_IMAGE_and_the_official_image_by_default()
    {
        var local = ServerBackend.FromEnvironment(TestServers.Environment(("CHAOS_SERVERS", "containers"), ("CHAOS_PG_IMAGE", "chaos/postgres:15-local"), ("CHAOS_PG_ADMIN", null)));
        var official = ServerBackend.FromEnvironment(TestServers.Environment(("CHAOS_SERVERS", "containers"), ("CHAOS_PG_IMAGE", null), ("CHAOS_PG_ADMIN", null)));
        var byOption = ServerBackend.Select("containers", "postgres:16-alpine", TestServers.Environment(("CHAOS_SERVERS", null), ("CHAOS_PG_IMAGE", "chaos/postgres:15-local"), ("CHAOS_PG_ADMIN", null)));

        local.Name.Should().Be("containers");
        local.Details["image"].Should().Be("chaos/postgres:15-local");
        official.Details["image"].Should().Be(ServerBackend.DefaultImage).And.Be("postgres:17");
        byOption.Details["image"].Should().Be("postgres:16-alpine", "--image wins over CHAOS_PG_IMAGE");
        local.Capabilities.Should().Be(ServerBackend.Managed.Capabilities & ~(Capability.Replication | Capability.KernelNetwork),
            "a container can have done to it what a child process can, except a standby beside it and a network namespace of the harness's");
        ServerBackend.FromEnvironment(TestServers.Environment(("CHAOS_SERVERS", null), ("CHAOS_PG_ADMIN", null))).Name.Should().Be("managed", "child processes stay the default");
    }

    [TestCase("banana", null, null, "--servers 'banana': expected one of managed, containers")]
    [TestCase("managed", "postgres:16", null, "--image needs --servers containers")]
    [TestCase("containers", null, "Host=db;Username=postgres", "contradict each other: unset CHAOS_PG_ADMIN")]
    public void A_backend_choice_that_cannot_be_honoured_is_a_usage_error(string servers, string? image, string? admin, string message)
    {
        var select = () => ServerBackend.Select(servers, image, TestServers.Environment(("CHAOS_SERVERS", null), ("CHAOS_PG_ADMIN", admin)));

        select.Should().Throw<UsageException>().WithMessage($"*{message}*");
    }

    [Test]
    public async Task A_bad_servers_option_is_one_line_and_exit_code_2()
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(new StringWriter()) });
        var error = new StringWriter();

        var code = await ChaosCli.RunAsync(["repro", "--fault", "server-restart", "--profile", "retry", "--servers", "vm"], console, error);

        code.Should().Be(ChaosCli.BadInput);
        error.ToString().Trim().Should().Be("chaos: --servers 'vm': expected one of managed, containers");
    }

    [Test]
    public void A_reason_for_a_missing_server_capability_names_the_backend_that_lacks_it()
    {
        Capabilities.Missing(Capability.Freeze, Capability.ProcessControl, "containers").Should().Be("the container backend cannot freeze the whole server");
        Capabilities.Missing(Capability.ServerConfiguration, Capability.None, "containers").Should().StartWith("the container backend cannot set the server's startup settings");
        Capabilities.Missing(Capability.ProcessControl, Capability.None, "attached").Should().StartWith("needs a managed server");
        foreach (var fault in FaultCatalog.All)
        {
            var why = Capabilities.Missing(fault.Needs, ServerBackend.Containers().Capabilities | Harness.Network.ProxyPath.Capabilities | Capability.TransactionPooler, "containers");
            if (fault.Needs.HasFlag(Capability.Replication))
                why.Should().Contain("container backend", $"{fault.Name} needs a standby, which containers do not run");
            else if (fault.Needs.HasFlag(Capability.KernelNetwork))
                why.Should().NotBeNull($"{fault.Name} needs the kernel network path, which containers do not run in");
            else
                why.Should().BeNull($"{fault.Name} can run on containers");
        }
    }

    [Test]
    public async Task An_engine_that_is_not_there_is_one_line_saying_what_was_tried_and_what_to_install_or_start()
    {
        var endpoint = new Uri("unix:///tmp/chaos-no-docker-here.sock");

        var why = await DockerEngine.DiagnoseAsync(endpoint, TestServers.Environment(("DOCKER_HOST", endpoint.ToString())), CancellationToken.None);

        why.Should().Contain("tried DOCKER_HOST=unix:///tmp/chaos-no-docker-here.sock, no such socket")
            .And.Contain("apt-get install docker.io").And.Contain(".ci/dockerd.sh start").And.Contain("systemctl start docker");
        why.Should().NotContain("\n");
    }

    // Testcontainers uses the first endpoint that answers at API 1.44 (DOCKER_HOST, a Docker context, the default
    // socket), so without DOCKER_API_VERSION an engine of API 1.41, like Debian 12's, counts as none.
    [TestCase("unix:///tmp/chaos-no-docker-here.sock", "the container backend needs a Docker engine", "tried DOCKER_HOST=unix:///tmp/chaos-no-docker-here.sock, no such socket")]
    [TestCase(null, "speaks API", "export DOCKER_API_VERSION=")]
    public async Task A_matrix_on_containers_without_a_usable_engine_exits_2_with_one_line_saying_why(string? dockerHost, string starts, string says)
    {
        if (await EngineApiAsync() is { } api && api >= DockerEngine.TestcontainersApi)
            Assert.Ignore($"the engine here speaks API {api}: Testcontainers finds it behind any DOCKER_HOST, so there is no engine to take away");
        if (dockerHost is null && await EngineApiAsync() is null)
            Assert.Ignore("no engine answers here: the old-API message needs one of API below 1.44");
        var dir = Directory.CreateTempSubdirectory("chaos-nodocker-").FullName;
        try
        {
            var psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
            {
                ArgumentList = { Path.Combine(TestContext.CurrentContext.TestDirectory, "chaos.dll"), "matrix", "--servers", "containers", "--faults", "server-restart", "--profiles", "npgsql-defaults", "--out", dir, "--format", "json" },
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            };
            psi.Environment.Remove("DOCKER_API_VERSION");
            psi.Environment.Remove("DOCKER_HOST");
            psi.Environment.Remove("CHAOS_PG_ADMIN");
            if (dockerHost is not null) psi.Environment["DOCKER_HOST"] = dockerHost;
            using var child = Process.Start(psi)!;
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var stdout = child.StandardOutput.ReadToEndAsync(bound.Token);
            var stderr = await child.StandardError.ReadToEndAsync(bound.Token);
            await child.WaitForExitAsync(bound.Token);

            child.ExitCode.Should().Be(ChaosCli.BadInput, $"stdout: {await stdout}");
            var line = stderr.Trim().Split('\n').Should().ContainSingle().Subject;
            line.Should().Contain(starts).And.Contain(says).And.StartWith("chaos: the ");
            await TestContext.Out.WriteLineAsync(line);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    /// <summary>The API version of the engine at the default socket, asked at an old version; null when none answers.</summary>
    private static async Task<Version?> EngineApiAsync()
    {
        if (!File.Exists("/var/run/docker.sock")) return null;
        try
        {
            using var client = new global::Docker.DotNet.DockerClientBuilder().WithEndpoint(new Uri("unix:///var/run/docker.sock")).WithApiVersion(new Version(1, 24)).Build();
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            return Version.Parse((await client.System.GetVersionAsync(bound.Token)).APIVersion);
        }
        catch (Exception e) when (e is not AssertionException) { return null; }
    }

    [Test]
    public void Images_are_split_into_name_and_tag_for_a_pull()
    {
        DockerEngine.SplitImage("postgres:17").Should().Be(("postgres", "17"));
        DockerEngine.SplitImage("registry.local:5000/team/pg").Should().Be(("registry.local:5000/team/pg", "latest"));
        DockerEngine.SplitImage("postgres@sha256:abc").Should().Be(("postgres@sha256:abc", null));
    }
}
