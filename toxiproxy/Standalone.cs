using Toxiproxy.Api;

namespace Toxiproxy;

/// <summary>
/// The standalone server's command line, shared by `toxiproxy` and `chaos proxy`:
/// <c>[--host 127.0.0.1] [--port 8474] [--config proxies.json]</c>. Runs until cancelled.
/// Exit codes: 0 stopped cleanly, 1 could not listen, 2 bad arguments or config.
/// </summary>
internal static class Standalone
{
    public const string Usage = "usage: toxiproxy [--host 127.0.0.1] [--port 8474] [--config proxies.json] | toxiproxy bench | toxiproxy bench pgbench --help";

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken ct)
    {
        var host = "127.0.0.1";
        var port = 8474;
        string? config = null;
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--host" when value is not null:
                    host = value;
                    i++;
                    break;
                case "--port" when int.TryParse(value, out var p) && p is >= 0 and <= 65535:
                    port = p;
                    i++;
                    break;
                case "--config" when value is not null:
                    config = value;
                    i++;
                    break;
                default:
                    await error.WriteLineAsync($"toxiproxy: bad argument '{args[i]}'{(value is null ? "" : $" '{value}'")}; {Usage}");
                    return 2;
            }
        }

        ToxiproxyServer server;
        try
        {
            server = await ToxiproxyServer.StartAsync(new ToxiproxyServerOptions { Host = host, Port = port }, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await error.WriteLineAsync($"toxiproxy: cannot listen on {host}:{port}: {e.Message}");
            return 1;
        }

        await using (server)
        {
            if (config is not null)
            {
                try
                {
                    await using var file = File.OpenRead(config);
                    await server.PopulateAsync(file, ct);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or ApiException)
                {
                    await error.WriteLineAsync($"toxiproxy: config {config}: {e.Message}");
                    return 2;
                }
            }

            await output.WriteLineAsync($"toxiproxy {ToxiproxyServer.Version} API on {server.ApiAddress} (Ctrl+C stops)");
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
            }
            await output.WriteLineAsync("toxiproxy: stopping");
        }
        return 0;
    }
}
