using System.Diagnostics;
using Chaos.Cli;
using Chaos.Harness.Servers;
using Chaos.Harness.Servers.Containers;
using Docker.DotNet;
using FluentAssertions;
using NUnit.Framework;

namespace Chaos.Tests.Servers.Containers;

/// <summary>
/// A run is simulated by a child process (`chaos __container-hold`: start a container server, print it, wait),
/// because only a separate process can be killed the way a CI job or the OOM killer kills a run.
/// </summary>
[Category("containers")]
public class ContainerReapingTests : ContainerTest
{
    [Test]
    public async Task A_run_killed_with_SIGKILL_leaves_a_running_container_that_the_next_runs_reaper_removes_with_its_volume()
    {
        var ours = await StartContainerAsync();
        var killed = await StartHoldingRunAsync();
        var volumes = (await Engine.InspectAsync(killed.ContainerId, Timeout)).Mounts!.Where(m => m.Type == "volume").Select(m => m.Name!).ToList();
        volumes.Should().NotBeEmpty("the image's VOLUME gives every container an anonymous volume, which carries no label");

        killed.Process.Kill(); // SIGKILL: no dispose, no process-exit handler, and Ryuk is off here
        await killed.Process.WaitForExitAsync(Timeout);
        (await Engine.InspectAsync(killed.ContainerId, Timeout)).State!.Running.Should().BeTrue("a kill -9'd run leaves its container running");

        var reaped = await ContainerReaper.ReapAsync(Engine, Timeout);

        reaped.Containers.Should().BeGreaterThanOrEqualTo(1);
        var inspect = () => Engine.InspectAsync(killed.ContainerId, Timeout);
        await inspect.Should().ThrowAsync<DockerContainerNotFoundException>();
        foreach (var volume in volumes)
        {
            var find = () => Engine.Client.Volumes.InspectAsync(volume, Timeout);
            await find.Should().ThrowAsync<DockerApiException>($"the anonymous volume {volume} goes with its container (docker rm -v)");
        }
        (await ours.AdminScalarAsync<int>("SELECT 1", Timeout)).Should().Be(1, "reaping never touches a live run's container");
    }

    [Test]
    public async Task An_image_the_engine_lacks_and_cannot_pull_says_which_and_how_to_pull_or_build_it()
    {
        var missing = () => Engine.EnsureImageAsync("chaos/no-such-image:0-never", Timeout);

        (await missing.Should().ThrowAsync<ServerSetupException>()).Which.Message.Should()
            .StartWith("the image 'chaos/no-such-image:0-never' is not on the Docker engine and pulling it failed")
            .And.Contain("docker pull chaos/no-such-image:0-never").And.Contain("docker/postgres/build-image.sh").And.Contain("CHAOS_PG_IMAGE");
    }

    private sealed record HoldingRun(Process Process, string ContainerId, string RunId);

    private readonly List<Process> _children = [];

    [TearDown]
    public async Task KillChildren()
    {
        foreach (var child in _children)
        {
            if (!child.HasExited) child.Kill(entireProcessTree: true);
            child.Dispose();
        }
        _children.Clear();
        // Whatever a failed test left is reaped here rather than by the next run.
        if (await DockerEngine.WhyUnavailableAsync(CancellationToken.None) is null)
        {
            await ContainerReaper.ReapAsync(Engine, CancellationToken.None);
        }
    }

    private async Task<HoldingRun> StartHoldingRunAsync()
    {
        var harness = Path.Combine(TestContext.CurrentContext.TestDirectory, "chaos.dll");
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        var psi = new ProcessStartInfo(dotnet) { ArgumentList = { harness, ContainerHoldCommand.Name }, RedirectStandardOutput = true, UseShellExecute = false };
        psi.Environment["CHAOS_PG_IMAGE"] = Docker.Image;
        var child = Process.Start(psi)!;
        _children.Add(child);
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(Timeout);
        bound.CancelAfter(TimeSpan.FromSeconds(45));
        var line = await child.StandardOutput.ReadLineAsync(bound.Token)
            ?? throw new AssertionException($"the holding run exited (code {(child.HasExited ? child.ExitCode : -1)}) before starting its container");
        var fields = line.Split(' ').Select(f => f.Split('=', 2)).ToDictionary(f => f[0], f => f[1]);
        return new HoldingRun(child, fields["container"], fields["run"]);
    }

    private static DockerEngine Engine => DockerEngine.GetAsync(CancellationToken.None).GetAwaiter().GetResult();
}
