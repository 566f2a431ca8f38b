using Chaos.Harness.Servers;
using Chaos.Harness.Servers.Containers;
using Chaos.Tests.Support;
using NUnit.Framework;

namespace Chaos.Tests.Servers.Containers;

/// <summary>
/// Base for tests that need a Docker engine. Where none answers they are skipped with the reason, except
/// under CI=true, where they fail: CI must not pass by silently running none of them.
/// </summary>
public abstract class ContainerTest : ServerTest
{
    [SetUp]
    public Task RequireDocker() => Docker.RequireAsync();

    /// <summary>A container server of <see cref="Docker.Image"/>, disposed after the test (its log in the output when the test fails).</summary>
    private protected async Task<ContainerServer> StartContainerAsync(PostgresOptions? options = null)
    {
        try
        {
            var server = Track((ContainerServer)await Docker.Backend.StartAsync(options ?? new PostgresOptions(), Timeout));
            await TestContext.Out.WriteLineAsync($"container {server.ContainerId[..12]} ({server.Image}) on 127.0.0.1:{server.Port}: creation to first query {server.StartupTime.TotalMilliseconds:0} ms");
            return server;
        }
        catch (ServerSetupException e)
        {
            Assert.Fail(e.Message);
            throw; // unreachable: Assert.Fail throws
        }
    }
}

/// <summary>Whether container tests can run here, and with which image.</summary>
public static class Docker
{
    /// <summary>CHAOS_PG_IMAGE (.ci/run sets the local image), else the backend's default.</summary>
    public static string Image => Environment.GetEnvironmentVariable("CHAOS_PG_IMAGE") is { Length: > 0 } image ? image : ServerBackend.DefaultImage;

    /// <summary>One backend for every test, so the image is checked once.</summary>
    internal static ServerBackend Backend { get; } = ServerBackend.Containers(Image);

    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static async Task RequireAsync()
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        if (await DockerEngine.WhyUnavailableAsync(bound.Token) is not { } why)
        {
            return;
        }
        if (InCi)
        {
            Assert.Fail($"CI=true, and the container tests cannot run: {why}");
        }
        Assert.Ignore($"container tests skipped (set CI=true to make this a failure): {why}");
    }
}
