using Chaos.Harness.Servers;
using Chaos.Harness.Workload;

namespace Chaos.Harness.Faults;

/// <summary>An immediate stop (a crash or a kill -9 of the host), down for a second, then crash recovery.</summary>
internal sealed class ServerCrash : IFault
{
    private static readonly TimeSpan Down = TimeSpan.FromSeconds(1);

    public string Name => "server-crash";
    public string Description => $"Immediate stop, down for {Down.TotalSeconds:0} s, start with crash recovery.";
    public bool NeedsManagedServer => true;

    // The harness runs servers with synchronous_commit off for speed; a crash would then lose commits
    // it had acknowledged, which is the configuration's doing, not the pool's. Only the process dies
    // here, not the OS, so fsync can stay off.
    public PostgresOptions Server(PostgresOptions options) => options with
    {
        Settings = new Dictionary<string, string>(options.Settings) { ["synchronous_commit"] = "on" },
    };

    public async Task InjectAsync(FaultContext context, CancellationToken ct)
    {
        // Crash while one write transaction is open, so a request is always in flight: PgBouncer
        // hides a short outage from clients idle at that instant, and left to chance its cells
        // flipped between survived and recovered. The other requests keep running throughout.
        await context.StrikeDuringTransactionAsync(HookPoint.AfterWrite, async (hit, token) =>
        {
            context.Ledger.MarkFault($"immediate stop (crash) while op {hit.Op.Id} holds an open transaction");
            await context.Cluster.StopAsync(StopMode.Immediate, token);
        }, ct);
        await context.HoldAsync(Down, ct);
        await context.Cluster.StartAsync(ct);
        context.Ledger.MarkHeal("server recovered and accepting connections");
    }

    public Task HealAsync(FaultContext context, CancellationToken ct) => context.Cluster.StartAsync(ct);
}
