using System.Diagnostics;
using Chaos.Harness.Network.Kernel;
using Chaos.Harness.Servers.Internal;
using NUnit.Framework;

namespace Chaos.Tests.Network;

/// <summary>
/// A run that builds a database host, puts a rule and a process in it, says so, and waits to be
/// killed: only a separate process can be killed the way a CI job kills a run. It is the harness
/// executable (chaos.dll) with this test assembly as a .NET startup hook, which runs
/// <see cref="Hold"/> before the CLI's Main, so no test-only command has to live in the CLI.
/// </summary>
public sealed record HostHoldingRun(Process Process, string RunId, string Namespace, string Link, int InsidePid)
{
    public const string Variable = "CHAOS_TEST_HOLD_DATABASE_HOST";

    public static async Task<HostHoldingRun> StartAsync(CancellationToken ct)
    {
        var harness = Path.Combine(TestContext.CurrentContext.TestDirectory, "chaos.dll");
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        var psi = new ProcessStartInfo(dotnet) { ArgumentList = { harness, "--help" }, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.Environment["DOTNET_STARTUP_HOOKS"] = typeof(HostHoldingRun).Assembly.Location;
        psi.Environment[Variable] = "1";
        var child = Process.Start(psi) ?? throw new AssertionException("could not start the holding run");
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bound.CancelAfter(TimeSpan.FromSeconds(30));
        var line = await child.StandardOutput.ReadLineAsync(bound.Token);
        if (line is null || !line.StartsWith("run=", StringComparison.Ordinal))
        {
            child.Kill();
            throw new AssertionException($"the holding run did not build its host: {line} {await child.StandardError.ReadToEndAsync(ct)}");
        }
        var fields = line.Split(' ').Select(f => f.Split('=', 2)).ToDictionary(f => f[0], f => f[1]);
        return new HostHoldingRun(child, fields["run"], fields["netns"], fields["link"], int.Parse(fields["pid"]));
    }

    /// <summary>Runs in the child, before the CLI: build, report, hold until killed.</summary>
    internal static void Hold()
    {
        var ct = CancellationToken.None;
        // As the CLI's Main would: without it a SIGTERM ends the process and leaves the host behind.
        RunRegistry.EnableSignalCleanup();
        var run = Path.GetFileName(RunRegistry.GetAsync(ct).GetAwaiter().GetResult().RunDir);
        var host = DatabaseHost.CreateAsync(run, ct).GetAwaiter().GetResult();
        host.ApplyAsync(new Partition(), ct).GetAwaiter().GetResult();
        var inside = Process.Start(host.Wrap(new ProcessStartInfo("sleep") { ArgumentList = { "300" } }))!;
        Console.WriteLine($"run={run} netns={host.Namespace} link={host.LinkName} pid={inside.Id}");
        Console.Out.Flush();
        // Holding is the point: the test kills this process; nothing here is waiting for anything.
        Thread.Sleep(System.Threading.Timeout.Infinite);
    }
}
