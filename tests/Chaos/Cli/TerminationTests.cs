using System.Diagnostics;
using System.Text.Json;
using Chaos.Cli;
using Chaos.Harness.Servers.Internal;
using FluentAssertions;
using NUnit.Framework;

namespace Chaos.Tests.Cli;

/// <summary>SIGTERM, as CI runners and `timeout` send it, stops a run the way Ctrl+C does.</summary>
[TestFixture]
[NonParallelizable]
public class TerminationTests
{
    [Test]
    public async Task SIGTERM_stops_the_matrix_with_exit_143_one_line_a_partial_report_and_nothing_left_running()
    {
        var outDir = Directory.CreateTempSubdirectory("chaos-term-").FullName;
        try
        {
            using var child = StartMatrix("latency-spike", "npgsql-defaults,keepalive,recycle,bounded", outDir);
            var stderr = child.StandardError.ReadToEndAsync();
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(90));

            // Wait for the first finished cell, then terminate while the others run.
            string? line;
            do
            {
                line = await child.StandardOutput.ReadLineAsync(bound.Token);
            }
            while (line is not null && !line.Contains("latency-spike x", StringComparison.Ordinal));
            line.Should().NotBeNull("a cell finished before the run ended by itself");
            Native.Signal(child.Id, UnixSignal.Term).Should().BeTrue();
            var rest = child.StandardOutput.ReadToEndAsync(bound.Token);
            await child.WaitForExitAsync(bound.Token);
            var error = await stderr;
            await TestContext.Out.WriteLineAsync(await rest);

            child.ExitCode.Should().Be(ChaosCli.Terminated, $"stderr: {error}");
            error.Trim().Split('\n').Should().ContainSingle().Which.Should().Be("chaos: stopped by SIGTERM; servers and temporary directories were cleaned up");
            using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(outDir, "matrix.json")));
            json.RootElement.GetProperty("partial").GetBoolean().Should().BeTrue();
            var cells = json.RootElement.GetProperty("cells").GetArrayLength();
            cells.Should().BeInRange(1, 3, "the cells that finished, not the ones cut short");
            ServersOf(child.Id).Should().BeEmpty("every server of the stopped run was stopped");
        }
        finally
        {
            Directory.Delete(outDir, recursive: true);
        }
    }

    /// <summary>
    /// SIGTERM while the first cells still run, before any finished: System.CommandLine's own termination handler
    /// used to answer the same signal and crash the process (exit 134, a stack trace) in this window.
    /// </summary>
    [Test]
    public async Task SIGTERM_before_any_cell_finished_still_exits_143_with_an_empty_partial_report()
    {
        var outDir = Directory.CreateTempSubdirectory("chaos-term-").FullName;
        try
        {
            using var child = StartMatrix("server-freeze", "npgsql-defaults,keepalive", outDir);
            var stdout = child.StandardOutput.ReadToEndAsync();
            var stderr = child.StandardError.ReadToEndAsync();
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(90));

            // A server of the run is up: the cells have started, and server-freeze keeps them busy for seconds more.
            while (ServersOf(child.Id).Count == 0)
            {
                child.HasExited.Should().BeFalse("the run was still starting its first cells");
                await Task.Delay(20, bound.Token);
            }
            Native.Signal(child.Id, UnixSignal.Term).Should().BeTrue();
            await child.WaitForExitAsync(bound.Token);
            var error = await stderr;
            await TestContext.Out.WriteLineAsync(await stdout);

            child.ExitCode.Should().Be(ChaosCli.Terminated, $"stderr: {error}");
            error.Trim().Split('\n').Should().ContainSingle().Which.Should().Be("chaos: stopped by SIGTERM; servers and temporary directories were cleaned up");
            using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(outDir, "matrix.json")));
            json.RootElement.GetProperty("partial").GetBoolean().Should().BeTrue();
            // A cell can end within the first second (a harness error on a loaded machine): what matters is the clean stop.
            json.RootElement.GetProperty("cells").GetArrayLength().Should().BeLessThan(2, "the signal came before the cells could run their scenarios");
            ServersOf(child.Id).Should().BeEmpty("every server of the stopped run was stopped");
        }
        finally
        {
            Directory.Delete(outDir, recursive: true);
        }
    }

    /// <summary>The built CLI as a child process running <paramref name="faults"/> x <paramref name="profiles"/>, two cells at once.</summary>
    private static Process StartMatrix(string faults, string profiles, string outDir)
    {
        var harness = Path.Combine(TestContext.CurrentContext.TestDirectory, "chaos.dll");
        var psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            ArgumentList = { harness, "matrix", "--faults", faults, "--profiles", profiles, "--parallel", "2", "--format", "json", "--out", outDir },
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        psi.Environment.Remove("CHAOS_PG_ADMIN");
        return Process.Start(psi)!;
    }

    /// <summary>Processes whose command line names a run directory of <paramref name="pid"/> (run ids end in the owner's pid).</summary>
    private static List<string> ServersOf(int pid) =>
        [.. Directory.GetDirectories("/proc").Select(d => Path.Combine(d, "cmdline")).Select(Read)
            .Where(cmd => cmd.Contains($"-{pid}/", StringComparison.Ordinal) && cmd.Contains(RunRegistry.RunsRoot, StringComparison.Ordinal))];

    private static string Read(string path)
    {
        try { return File.ReadAllText(path).Replace('\0', ' '); }
        catch (IOException) { return ""; }
        catch (UnauthorizedAccessException) { return ""; }
    }
}
