using Chaos.Harness.Proxy;
using Chaos.Harness.Workload;

namespace Chaos.Harness.Faults;

/// <summary>
/// The COMMIT reaches the server and commits, but its answer never reaches the client: the connection
/// goes silent and is closed a second later. The application cannot know whether its write happened;
/// a retry that assumes it did not applies it twice.
/// </summary>
internal sealed class CommitAckLost : IFault
{
    private const string Toxic = "commit-ack-lost";
    private static readonly TimeSpan Silence = TimeSpan.FromSeconds(1);

    public string Name => "commit-ack-lost";
    public string Description => "The COMMIT commits on the server, its answer is dropped and the connection closed: outcome unknown.";

    public async Task InjectAsync(FaultContext context, CancellationToken ct)
    {
        await context.Workload.Hooks.ArmAsync(HookPoint.BeforeCommit, async (hit, token) =>
        {
            context.Ledger.MarkFault($"answers dropped from the COMMIT of op {hit.Op.Id} (txid {hit.Op.Txid}) on");
            // timeout drops every byte from the server and closes the connection when it runs out.
            await context.AddToxicAsync(ToxicSpec.Timeout((long)Silence.TotalMilliseconds, ToxicStream.Downstream) with { Name = Toxic }, token);
        }).WaitAsync(Timing.HangAfter, context.Time, ct);
        await context.HoldAsync(Silence + TimeSpan.FromMilliseconds(200), ct);
        await HealAsync(context, ct);
        context.Ledger.MarkHeal("answers flow again");
    }

    public Task HealAsync(FaultContext context, CancellationToken ct) => context.ClearProxyAsync(ct);
}
