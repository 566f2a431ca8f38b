using Chaos.Harness.Servers;
using Chaos.Harness.Servers.Internal;

// Placeholder dispatch until the real CLI lands; the lead merges these into it.
using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };

return args switch
{
    ["bench", "servers", ..] => await ServerBenchmark.RunAsync(Console.Out, cts.Token),
    // Hidden: used by the tests to simulate a run that is killed while it owns a server.
    [ServerHold.Command, ..] => await ServerHold.RunAsync(Console.Out, cts.Token),
    _ => Usage(),
};

static int Usage()
{
    Console.WriteLine("chaos");
    return 0;
}
