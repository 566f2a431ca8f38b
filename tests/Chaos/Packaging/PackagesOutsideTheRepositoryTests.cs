using System.Diagnostics;
using System.Text.RegularExpressions;
using Chaos.Tests.Support;
using FluentAssertions;
using NUnit.Framework;

namespace Chaos.Tests.Packaging;

/// <summary>
/// The packages work outside this repository: packed to a local folder feed, referenced (and nothing else of
/// ours) by a new NUnit project in a temporary folder, whose own Npgsql code meets tcp-reset-mid-transaction,
/// idle-backends-killed and server-restart through the public API; and the `chaos` tool installs from the feed.
/// </summary>
[TestFixture]
[Category("Packages")]
[NonParallelizable]
public partial class PackagesOutsideTheRepositoryTests
{
    private static readonly TimeSpan PackLimit = TimeSpan.FromMinutes(4);
    private static readonly TimeSpan TestLimit = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan ToolLimit = TimeSpan.FromMinutes(3);

    private string _dir = null!;
    private string _feed = null!;
    // A version of its own per run: NuGet's global cache never hands back an older build under the same version.
    private readonly string _version = $"0.1.0-t{DateTime.UtcNow:yyyyMMddHHmmss}";

    [OneTimeSetUp]
    public async Task PackAsync()
    {
        _dir = Directory.CreateTempSubdirectory("chaos-outside-").FullName;
        _feed = Path.Combine(_dir, "feed");
        // --no-build: the projects were built with this test assembly (Chaos.Tests references all four).
        var configuration = TestContext.CurrentContext.TestDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var pack = await RunAsync(Dotnet, ["pack", Repo.File("packaging/Packages.slnf"), "--no-build", "-c", configuration, "-o", _feed, $"-p:PackageVersion={_version}", "-nologo"], _dir, PackLimit);
        pack.Code.Should().Be(0, pack.Output);
        await TestContext.Out.WriteLineAsync($"packed in {pack.Elapsed.TotalSeconds:0} s: {string.Join(", ", Directory.GetFiles(_feed).Select(Path.GetFileName))}");
    }

    [OneTimeTearDown]
    public void RemoveTemporaryFolder()
    {
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { /* a straggling file handle; the folder is in /tmp */ }
    }

    [Test]
    public void The_feed_has_every_package_with_its_symbols()
    {
        foreach (var id in new[] { "Chaos.Harness", "Chaos.Toxiproxy", "Chaos.NUnit", "chaos" })
        {
            File.Exists(Path.Combine(_feed, $"{id}.{_version}.nupkg")).Should().BeTrue(id);
            File.Exists(Path.Combine(_feed, $"{id}.{_version}.snupkg")).Should().BeTrue(id + " symbols");
        }
    }

    [Test]
    public async Task A_project_of_its_own_meets_the_faults_through_the_packages_and_leaves_no_process_behind()
    {
        var project = Path.Combine(_dir, "outside");
        Directory.CreateDirectory(project);
        await File.WriteAllTextAsync(Path.Combine(project, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <!-- The local feed, beside the sources the machine already has (nuget.org or its mirror). -->
                <add key="chaos-local" value="{_feed}" />
              </packageSources>
            </configuration>
            """);
        await File.WriteAllTextAsync(Path.Combine(project, "Outside.Tests.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <IsTestProject>true</IsTestProject>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Chaos.NUnit" Version="{_version}" />
                <PackageReference Include="NUnit" Version="{RepoVersion("NUnit")}" />
                <PackageReference Include="NUnit3TestAdapter" Version="{RepoVersion("NUnit3TestAdapter")}" />
                <PackageReference Include="Microsoft.NET.Test.Sdk" Version="{RepoVersion("Microsoft.NET.Test.Sdk")}" />
            {TransitivePins()}
              </ItemGroup>
            </Project>
            """);
        await File.WriteAllTextAsync(Path.Combine(project, "UserCodeTests.cs"), UserCode);
        var ports = Path.Combine(_dir, "ports.txt");

        var test = await RunAsync(Dotnet, ["test", project, "-nologo", "--logger", "console;verbosity=normal"], project, TestLimit, ("OUTSIDE_PORTS", ports));
        await TestContext.Out.WriteLineAsync($"dotnet test of the outside project: exit {test.Code} in {test.Elapsed.TotalSeconds:0} s");

        test.Code.Should().Be(0, test.Output);
        PassedCount(test.Output).Should().Be(3, test.Output);
        var used = (await File.ReadAllLinesAsync(ports)).Where(l => l.Length > 0).Select(int.Parse).ToList();
        used.Should().NotBeEmpty("the outside tests wrote the server port they used");
        foreach (var port in used) ProcessesOnPort(port).Should().BeEmpty($"the server on port {port} was stopped with its fixture");
    }

    [Test]
    public async Task The_chaos_tool_installs_from_the_feed_and_lists_the_faults()
    {
        var tools = Path.Combine(_dir, "tools");
        var install = await RunAsync(Dotnet, ["tool", "install", "--tool-path", tools, "--add-source", _feed, "chaos", "--version", _version], _dir, ToolLimit);
        install.Code.Should().Be(0, install.Output);

        var list = await RunAsync(Path.Combine(tools, "chaos"), ["list"], _dir, ToolLimit);

        list.Code.Should().Be(0, list.Output);
        list.Output.Should().Contain("tcp-reset-mid-transaction").And.Contain("idle-backends-killed").And.Contain("server-restart");
    }

    private const string UserCode = """
        using Chaos.Harness.Testing;
        using Chaos.NUnit;
        using Npgsql;
        using NUnit.Framework;

        namespace Outside.Tests;

        public class UserCodeTests : ChaosDatabaseFixture
        {
            [OneTimeSetUp]
            public async Task CreateSchema()
            {
                File.AppendAllText(Environment.GetEnvironmentVariable("OUTSIDE_PORTS")!, new NpgsqlConnectionStringBuilder(Database.DirectConnectionString).Port + "\n");
                await using var connection = new NpgsqlConnection(Database.DirectConnectionString);
                await connection.OpenAsync();
                await new NpgsqlCommand("CREATE TABLE notes (id serial PRIMARY KEY, body text)", connection).ExecuteNonQueryAsync();
            }

            [Test]
            public async Task A_reset_mid_transaction_fails_the_commit_and_writes_nothing()
            {
                await using var source = NpgsqlDataSource.Create(Database.ConnectionStringFor("outside-reset"));
                await using var connection = await source.OpenConnectionAsync(TestTimeout);
                await using var transaction = await connection.BeginTransactionAsync(TestTimeout);
                await new NpgsqlCommand("INSERT INTO notes (body) VALUES ('x')", connection, transaction).ExecuteNonQueryAsync(TestTimeout);
                var fault = await Database.InjectAsync(Fault.TcpResetMidTransaction("outside-reset"), TestTimeout);

                var e = await Assert.ThrowsAsync<NpgsqlException>(() => transaction.CommitAsync(TestTimeout));
                Assert.That(e!.IsTransient, Is.True);
                await fault.Healed.WaitAsync(TimeSpan.FromSeconds(15));
                await using var check = new NpgsqlConnection(Database.DirectConnectionString);
                await check.OpenAsync(TestTimeout);
                Assert.That(await new NpgsqlCommand("SELECT count(*) FROM notes", check).ExecuteScalarAsync(TestTimeout), Is.EqualTo(0L));
            }

            [Test]
            public async Task Idle_backends_killed_fail_a_pooled_connection_with_57P01()
            {
                await using var source = NpgsqlDataSource.Create(Database.ConnectionStringFor("outside-idle"));
                await using (var warm = await source.OpenConnectionAsync(TestTimeout))
                    await new NpgsqlCommand("SELECT 1", warm).ExecuteNonQueryAsync(TestTimeout);
                await Database.InjectAsync(Fault.IdleBackendsKilled("outside-idle"), TestTimeout);
                while ((await Database.GetActivityAsync(TestTimeout)).CountFor("outside-idle") > 0) await Task.Delay(20, TestTimeout);

                await using var again = await source.OpenConnectionAsync(TestTimeout);
                var e = await Assert.ThrowsAsync<PostgresException>(() => new NpgsqlCommand("SELECT 1", again).ExecuteNonQueryAsync(TestTimeout));
                Assert.That(e!.SqlState, Is.EqualTo("57P01"));
            }

            [Test]
            public async Task A_server_restart_ends_the_open_session()
            {
                await using var source = NpgsqlDataSource.Create(Database.ConnectionStringFor("outside-restart"));
                await using var open = await source.OpenConnectionAsync(TestTimeout);
                await new NpgsqlCommand("SELECT 1", open).ExecuteNonQueryAsync(TestTimeout);

                await Database.InjectAsync(Fault.ServerRestart(), TestTimeout);

                await Assert.ThrowsAsync(Is.InstanceOf<NpgsqlException>(), () => new NpgsqlCommand("SELECT 1", open).ExecuteNonQueryAsync(TestTimeout));
                await using var fresh = await source.OpenConnectionAsync(TestTimeout);
                Assert.That(await new NpgsqlCommand("SELECT 1", fresh).ExecuteScalarAsync(TestTimeout), Is.EqualTo(1));
            }
        }
        """;

    private static string Dotnet => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";

    private static string RepoVersion(string id) =>
        Regex.Match(File.ReadAllText(Repo.File("Directory.Packages.props")), $"""<PackageVersion Include="{Regex.Escape(id)}" Version="([^"]+)" />""").Groups[1].Value;

    // The repository pins some transitive packages to the versions the package mirror serves; so must a project of its own here.
    private static string TransitivePins()
    {
        var props = File.ReadAllText(Repo.File("Directory.Packages.props"));
        var pins = props[props.IndexOf("transitive pins", StringComparison.Ordinal)..];
        return string.Join("\n", PinPattern().Matches(pins).Select(m => $"""    <PackageReference Include="{m.Groups[1].Value}" Version="{m.Groups[2].Value}" />"""));
    }

    [GeneratedRegex("""<PackageVersion Include="([^"]+)" Version="([^"]+)" />""")]
    private static partial Regex PinPattern();

    private static int PassedCount(string output) =>
        Regex.Match(output, @"Passed:\s+(\d+)") is { Success: true } m ? int.Parse(m.Groups[1].Value) : 0;

    private static List<int> ProcessesOnPort(int port) =>
        [.. Directory.GetDirectories("/proc").Select(Path.GetFileName).Where(n => n!.All(char.IsDigit)).Select(n => int.Parse(n!))
            .Where(pid => CommandLine(pid).Contains($"port={port} ", StringComparison.Ordinal))];

    private static string CommandLine(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ') + " "; }
        catch (IOException) { return ""; }
        catch (UnauthorizedAccessException) { return ""; }
    }

    private sealed record Run(int Code, string Output, TimeSpan Elapsed);

    /// <summary>Runs a command to its end within <paramref name="limit"/>; past it the whole process tree is killed and the test fails.</summary>
    private static async Task<Run> RunAsync(string exe, IEnumerable<string> args, string workingDirectory, TimeSpan limit, params (string Name, string Value)[] env)
    {
        var psi = new ProcessStartInfo(exe) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args) psi.ArgumentList.Add(arg);
        foreach (var (name, value) in env) psi.Environment[name] = value;
        // The outside project must not see the repository's own test settings.
        foreach (var name in new[] { "CHAOS_PG_ADMIN", "TOXIPROXY_URL", "MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBUILD_EXE_PATH" }) psi.Environment.Remove(name);
        // An installed tool's apphost finds the runtime through DOTNET_ROOT when dotnet is not in a default place.
        if (!psi.Environment.TryGetValue("DOTNET_ROOT", out var root) || string.IsNullOrEmpty(root))
            psi.Environment["DOTNET_ROOT"] = Path.GetDirectoryName(Path.GetFullPath(Dotnet.Contains('/') ? Dotnet : "/usr/share/dotnet/dotnet"));
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var bound = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(bound.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{Path.GetFileName(exe)} {string.Join(' ', args)} ran past {limit.TotalMinutes:0} min:\n{await output}\n{await error}");
        }
        return new Run(process.ExitCode, (await output) + (await error), clock.Elapsed);
    }
}
