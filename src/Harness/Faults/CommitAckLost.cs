using Chaos.Harness.Proxy;
using Chaos.Harness.Workload;

namespace Chaos.Harness.Faults;

/// <summary>
/// The COMMIT reaches the server and commits, but its answer never reaches the client: the connection
/// is cut after the answer's first byte. The application cannot know whether its write happened; a retry
/// that assumes it did not applies it twice.
/// </summary>
/// <remarks>
/// limit_data rather than a timeout toxic: toxics apply to every connection through the proxy, and a
/// timeout would also swallow the handshakes of connections opened meanwhile and leave them half-open
/// once removed. limit_data closes whatever carries data while it is in place and touches idle ones not at all.
/// </remarks>
internal sealed class CommitAckLost : IFault
{
    public string Name => "commit-ack-lost";
    public string Description => "The COMMIT commits on the server; its answer is cut after one byte and the connection closed: outcome unknown.";

    public async Task InjectAsync(FaultContext context, CancellationToken ct)
    {
        await context.StrikeOneTransactionAsync(HookPoint.BeforeCommit, async (hit, token) =>
        {
            context.Ledger.MarkFault($"the answer to op {hit.Op.Id}'s COMMIT (txid {hit.Op.Txid}) will be lost");
            await context.AddToxicAsync(ToxicSpec.LimitData(1, ToxicStream.Downstream) with { Name = "commit-ack-lost" }, token);
        }, ct);
        await HealAsync(context, ct);
        context.Ledger.MarkHeal("answers flow again; other requests resume");
    }

    public async Task HealAsync(FaultContext context, CancellationToken ct)
    {
        await context.ClearProxyAsync(ct);
        context.Workload.Resume();
    }
}
