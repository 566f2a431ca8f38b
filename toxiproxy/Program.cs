using System.Runtime.InteropServices;
using Toxiproxy;
using Toxiproxy.Bench;

// toxiproxy [--host H] [--port P] [--config proxies.json]  |  toxiproxy bench  |  toxiproxy bench pgbench ...
if (args is ["bench", "pgbench", ..])
{
    return await PgbenchBenchmark.RunAsync(args[2..], Console.Out);
}

if (args is ["bench", ..])
{
    return await Benchmark.RunAsync(Console.Out);
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
return await Standalone.RunAsync(args, Console.Out, Console.Error, stop.Token);

/// <summary>The standalone proxy's entry point. Internal: a user's own Program (WebApplicationFactory&lt;Program&gt;) must not meet this one.</summary>
internal partial class Program;
