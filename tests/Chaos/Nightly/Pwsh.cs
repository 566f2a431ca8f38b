using System.Diagnostics;
using NUnit.Framework;

namespace Chaos.Tests.Nightly;

/// <summary>
/// PowerShell 7 for the tests of run-chaos.ps1: on PATH, or the .NET global tool that .ci/run installs.
/// Missing locally, those tests are ignored with the command that installs it; missing in CI, they fail.
/// </summary>
internal static class Pwsh
{
    public static string Find()
    {
        var candidates = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Append(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".dotnet", "tools"))
            .Select(dir => Path.Combine(dir, "pwsh"));
        if (candidates.FirstOrDefault(File.Exists) is { } found)
            return found;
        const string install = "dotnet tool install --global PowerShell --version 7.6.9";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            Assert.Fail($"pwsh is missing in CI, where run-chaos.ps1 must be tested: .ci/run installs it with `{install}`; check that step.");
        Assert.Ignore($"pwsh is not installed, so run-chaos.ps1 is not tested here; install it with `{install}`.");
        throw new InvalidOperationException("unreachable");
    }

    /// <summary>Runs a script with pwsh from <paramref name="workingDirectory"/>, killing it (and its children) past <paramref name="within"/>.</summary>
    public static async Task<(int Code, string Output, string Error)> RunAsync(string script, IEnumerable<string> args, string workingDirectory, TimeSpan within)
    {
        var psi = new ProcessStartInfo(Find())
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "-NoProfile", "-NonInteractive", "-File", script }.Concat(args))
            psi.ArgumentList.Add(arg);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("pwsh did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var bound = new CancellationTokenSource(within);
        try
        {
            await process.WaitForExitAsync(bound.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Fail($"pwsh {script} {string.Join(' ', args)} did not finish within {within.TotalSeconds:0} s; output: {await output} {await error}");
        }
        return (process.ExitCode, await output, await error);
    }
}
