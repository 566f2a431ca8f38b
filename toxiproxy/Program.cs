using Toxiproxy;
using Toxiproxy.Bench;

// toxiproxy [--host H] [--port P] [--config proxies.json]  |  toxiproxy bench
if (args is ["bench", ..])
{
    return await Benchmark.RunAsync(Console.Out);
}

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};
return await Standalone.RunAsync(args, Console.Out, Console.Error, stop.Token);
