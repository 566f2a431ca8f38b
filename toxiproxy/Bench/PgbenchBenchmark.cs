using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Toxiproxy.Bench;

/// <summary>
/// <c>toxiproxy bench pgbench</c>: pgbench select-only TPS through a direct connection, through
/// this proxy (embedded, toxic-free) and optionally through a real Toxiproxy, in alternating
/// rounds whose order rotates so that drift on a shared machine hurts each path alike; prints
/// every round, the medians and the ratios. Starts its own throw-away PostgreSQL unless given one.
/// </summary>
internal static partial class PgbenchBenchmark
{
    public const string Usage =
        "usage: toxiproxy bench pgbench [--pgbench PATH] [--pg-bin DIR | --connect HOST:PORT] [--real-url URL | --real-binary PATH]\n" +
        "                               [--rounds 5] [--seconds 10] [--clients 4] [--threads 2]";

    private sealed class Options
    {
        public string Pgbench { get; set; } = "/usr/lib/postgresql/15/bin/pgbench";
        public string PgBin { get; set; } = "/usr/lib/postgresql/15/bin";
        public string? Connect { get; set; }
        public string? RealUrl { get; set; }
        public string? RealBinary { get; set; }
        public int Rounds { get; set; } = 5;
        public int Seconds { get; set; } = 10;
        public int Clients { get; set; } = 4;
        public int Threads { get; set; } = 2;
    }

    public static async Task<int> RunAsync(string[] args, TextWriter output)
    {
        if (Parse(args) is not { } options)
        {
            await output.WriteLineAsync(Usage);
            return 2;
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120 + options.Rounds * 3 * (options.Seconds + 5)));
        var ct = cts.Token;
        await using var database = options.Connect is { } given ? null : await ScratchPostgres.StartAsync(options.PgBin, output, ct);
        var target = options.Connect ?? database!.Address;
        if (database is not null)
        {
            await RunAsync(Path.Combine(options.PgBin, "pgbench"), ["-i", "-s", "1", "-q", .. ConnectArgs(target)], ct);
        }

        await using var ours = await ToxiproxyServer.StartAsync(new ToxiproxyServerOptions { Port = 0 }, ct);
        var paths = new List<(string Name, string Address)>
        {
            ("direct", target),
            ("ours", await CreateProxyAsync(ours.ApiAddress, target, ct)),
        };

        var realUrl = options.RealUrl;
        Process? realProcess = null;
        if (options.RealBinary is { } binary)
        {
            realProcess = StartReal(binary, out var url);
            realUrl = url;
        }

        try
        {
            if (realUrl is not null)
            {
                paths.Add(("real", await CreateProxyAsync(new Uri(realUrl), target, ct, waitForApi: realProcess is not null)));
            }

            await output.WriteLineAsync($"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores; pgbench -S -c {options.Clients} -j {options.Threads} -T {options.Seconds}, {options.Rounds} rounds, order rotating");

            // Warm-up: JIT and tiered compilation of our data path, connection setup of each path.
            foreach (var (_, address) in paths)
            {
                await PgbenchAsync(options, address, 2, ct);
            }

            var results = paths.ToDictionary(p => p.Name, _ => new List<double>());
            for (var round = 0; round < options.Rounds; round++)
            {
                var line = $"round {round + 1}:";
                for (var i = 0; i < paths.Count; i++)
                {
                    var (name, address) = paths[(i + round) % paths.Count];
                    var tps = await PgbenchAsync(options, address, options.Seconds, ct);
                    results[name].Add(tps);
                    line += $"  {name} {tps,8:F0}";
                }

                await output.WriteLineAsync(line);
            }

            var median = results.ToDictionary(r => r.Key, r => Median(r.Value));
            await output.WriteLineAsync("median TPS:  " + string.Join("  ", median.Select(m => $"{m.Key} {m.Value:F0}")));
            await output.WriteLineAsync($"ours/direct {median["ours"] / median["direct"]:F2}" +
                (median.TryGetValue("real", out var real) ? $"   real/direct {real / median["direct"]:F2}   ours/real {median["ours"] / real:F2}" : ""));
            return 0;
        }
        finally
        {
            if (realProcess is { HasExited: false })
            {
                realProcess.Kill();
                await realProcess.WaitForExitAsync(CancellationToken.None);
            }

            realProcess?.Dispose();
        }
    }

    private static Options? Parse(string[] args)
    {
        var options = new Options();
        for (var i = 0; i < args.Length; i += 2)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            if (value is null)
            {
                return null;
            }

            switch (args[i])
            {
                case "--pgbench": options.Pgbench = value; break;
                case "--pg-bin": options.PgBin = value; break;
                case "--connect": options.Connect = value; break;
                case "--real-url": options.RealUrl = value; break;
                case "--real-binary": options.RealBinary = value; break;
                case "--rounds" when int.TryParse(value, out var n) && n > 0: options.Rounds = n; break;
                case "--seconds" when int.TryParse(value, out var n) && n > 0: options.Seconds = n; break;
                case "--clients" when int.TryParse(value, out var n) && n > 0: options.Clients = n; break;
                case "--threads" when int.TryParse(value, out var n) && n > 0: options.Threads = n; break;
                default: return null;
            }
        }

        return options;
    }

    private static string[] ConnectArgs(string address)
    {
        var colon = address.LastIndexOf(':');
        return ["-h", address[..colon], "-p", address[(colon + 1)..], "-U", "postgres", "postgres"];
    }

    private static async Task<double> PgbenchAsync(Options options, string address, int seconds, CancellationToken ct)
    {
        var text = await RunAsync(options.Pgbench,
            ["-S", "-n", "-c", options.Clients.ToString(CultureInfo.InvariantCulture), "-j", options.Threads.ToString(CultureInfo.InvariantCulture),
             "-T", seconds.ToString(CultureInfo.InvariantCulture), .. ConnectArgs(address)], ct);
        var match = TpsLine().Match(text);
        return match.Success
            ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)
            : throw new InvalidOperationException($"pgbench printed no TPS for {address}:\n{text}");
    }

    [GeneratedRegex(@"tps = ([0-9.]+) \(without initial connection time\)")]
    private static partial Regex TpsLine();

    private static async Task<string> RunAsync(string file, string[] args, CancellationToken ct)
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
        var text = await stdout + await stderr;
        return process.ExitCode == 0 ? text : throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {process.ExitCode}:\n{text}");
    }

    private static async Task<string> CreateProxyAsync(Uri api, string upstream, CancellationToken ct, bool waitForApi = false)
    {
        using var http = new HttpClient { BaseAddress = api, Timeout = TimeSpan.FromSeconds(10) };
        for (var attempt = 0; waitForApi; attempt++)
        {
            try
            {
                await http.GetAsync("version", ct);
                break;
            }
            catch (HttpRequestException) when (attempt < 50)
            {
                await Task.Delay(100, ct);
            }
        }

        var name = $"bench_{Environment.ProcessId}";
        await http.DeleteAsync($"proxies/{name}", ct);
        var response = await http.PostAsJsonAsync("proxies", new { name, listen = "127.0.0.1:0", upstream }, ct);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<ProxyReply>(ct))!.listen;
    }

    private sealed record ProxyReply(string listen);

    private static Process StartReal(string binary, out string url)
    {
        var port = FreePort();
        url = $"http://127.0.0.1:{port}/";
        var start = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-host", "127.0.0.1", "-port", port.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {binary}");

        // Its log goes nowhere, but must be read or the pipe fills and the server stalls.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    internal static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
