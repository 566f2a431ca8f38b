using System.Runtime.InteropServices;
using Toxiproxy;
using Toxiproxy.Api;
using Toxiproxy.Bench;

// toxiproxy [--host H] [--port P] [--config proxies.json]  |  toxiproxy bench
if (args is ["bench", ..])
{
    return await Benchmark.RunAsync(Console.Out);
}

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
            Console.Error.WriteLine($"toxiproxy: bad argument '{args[i]}'{(value is null ? "" : $" '{value}'")}; usage: toxiproxy [--host 127.0.0.1] [--port 8474] [--config proxies.json] | toxiproxy bench");
            return 2;
    }
}

using var stop = new CancellationTokenSource();

// Ctrl+C and SIGTERM both stop cleanly: listeners and connections closed before exit.
void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    stop.Cancel();
}

using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);

ToxiproxyServer server;
try
{
    server = await ToxiproxyServer.StartAsync(new ToxiproxyServerOptions { Host = host, Port = port }, stop.Token);
}
catch (Exception e) when (e is not OperationCanceledException)
{
    Console.Error.WriteLine($"toxiproxy: cannot listen on {host}:{port}: {e.Message}");
    return 1;
}

await using (server)
{
    if (config is not null)
    {
        try
        {
            await using var file = File.OpenRead(config);
            await server.PopulateAsync(file, stop.Token);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ApiException)
        {
            Console.Error.WriteLine($"toxiproxy: config {config}: {e.Message}");
            return 2;
        }
    }

    Console.WriteLine($"toxiproxy {ToxiproxyServer.Version} API on {server.ApiAddress} (Ctrl+C stops)");
    try
    {
        await Task.Delay(Timeout.Infinite, stop.Token);
    }
    catch (OperationCanceledException)
    {
    }

    Console.WriteLine("toxiproxy: stopping");
}

return 0;
