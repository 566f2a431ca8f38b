using Chaos.Harness.Servers;

namespace Chaos.Cli;

/// <summary>
/// The hidden <c>__servers-hold</c> command: starts a cluster, prints where it is, and waits (bounded)
/// to be killed. The reaping tests kill -9 it to leave an orphaned server behind.
/// </summary>
internal static class ServerHold
{
    public const string Command = "__servers-hold";

    public static async Task<int> RunAsync(TextWriter output, CancellationToken ct)
    {
        await using var cluster = await ManagedServer.StartAsync(ct: ct);
        await output.WriteLineAsync($"pid={cluster.PostmasterPid} dir={cluster.Dir} port={cluster.Port}");
        await output.FlushAsync(ct);
        try { await Task.Delay(TimeSpan.FromMinutes(5), ct); }
        catch (OperationCanceledException) { }
        return 0;
    }
}
