using System.Diagnostics;
using System.Globalization;

namespace Toxiproxy.Bench;

/// <summary>
/// A throw-away PostgreSQL for the benchmark: initdb in a temporary directory, durability off,
/// loopback only, stopped and deleted on dispose. PostgreSQL refuses to run as root, so as root it
/// runs as the user <c>postgres</c>.
/// </summary>
internal sealed class ScratchPostgres : IAsyncDisposable
{
    private readonly string _bin;
    private readonly string _directory;

    private ScratchPostgres(string bin, string directory, int port)
    {
        _bin = bin;
        _directory = directory;
        Address = $"127.0.0.1:{port}";
    }

    public string Address { get; }

    private string Data => Path.Combine(_directory, "data");

    public static async Task<ScratchPostgres> StartAsync(string bin, TextWriter output, CancellationToken ct)
    {
        var directory = Directory.CreateTempSubdirectory("toxiproxy-bench-").FullName;
        var port = PgbenchBenchmark.FreePort();
        var server = new ScratchPostgres(bin, directory, port);
        if (Environment.UserName == "root")
        {
            await RunAsync("chown", ["postgres", directory], ct);
        }

        await server.RunAsPostgresAsync("initdb", ["-D", server.Data, "-A", "trust", "-U", "postgres", "--no-sync"], ct);
        await server.RunAsPostgresAsync("pg_ctl", ["-D", server.Data, "-l", Path.Combine(directory, "log"), "-w", "start", "-o",
            $"-p {port.ToString(CultureInfo.InvariantCulture)} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off"], ct);
        await output.WriteLineAsync($"scratch PostgreSQL on {server.Address} ({directory})");
        return server;
    }

    private Task RunAsPostgresAsync(string tool, string[] args, CancellationToken ct) =>
        Environment.UserName == "root"
            ? RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(_bin, tool), .. args], ct)
            : RunAsync(Path.Combine(_bin, tool), args, ct);

    private static async Task RunAsync(string file, string[] args, CancellationToken ct)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {process.ExitCode}:\n{await stdout}{await stderr}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await RunAsPostgresAsync("pg_ctl", ["-D", Data, "-m", "immediate", "-w", "stop"], grace.Token);
        }
        finally
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
