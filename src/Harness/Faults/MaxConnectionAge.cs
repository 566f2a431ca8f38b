namespace Chaos.Harness.Faults;

/// <summary>
/// Connections older than a limit are killed, as managed providers and poolers do to long-lived
/// sessions (claim 4: pool_recycle closes this gap).
/// </summary>
/// <remarks>
/// Like a provider's reaper, it kills connections between queries. The pool is quiesced for the kill so
/// that "idle" is still true when pg_terminate_backend lands (otherwise PgBouncer or the pool may hand
/// the connection out in between, and the verdict becomes a race); a kill inside a query is
/// backend-killed-mid-transaction. Traffic resumes after a short gap: long enough for PgBouncer to see
/// its server connections close, shorter than keepalive's and idle-lifetime's one second.
/// </remarks>
internal sealed class MaxConnectionAge : IFault
{
    private static readonly TimeSpan Aging = Timing.MaxConnectionAge - Timing.WarmUp + TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Gap = TimeSpan.FromMilliseconds(300);

    public string Name => "max-connection-age";
    public string Description => $"Every connection older than {Timing.MaxConnectionAge.TotalSeconds:0} s is terminated between queries, after {Timing.MaxConnectionAge.TotalSeconds + 1:0} s under load.";

    public async Task InjectAsync(FaultContext context, CancellationToken ct)
    {
        await context.HoldAsync(Aging, ct);
        await context.Workload.PauseAsync(ct);
        context.Ledger.MarkFault($"connections older than {Timing.MaxConnectionAge.TotalSeconds:0} s terminated");
        await context.TerminateAppBackendsAsync("idle", Timing.MaxConnectionAge, ct);
        await context.HoldAsync(Gap, ct);
        context.Ledger.MarkHeal("traffic resumes");
        context.Workload.Resume();
    }

    public Task HealAsync(FaultContext context, CancellationToken ct)
    {
        context.Workload.Resume();
        return Task.CompletedTask;
    }
}
