namespace Chaos.Harness.Faults;

/// <summary>
/// Connections older than a limit are killed, as managed providers and poolers do to long-lived
/// sessions (claim 4: pool_recycle closes this gap). Like a provider's reaper, it kills them between
/// queries (state idle), so it is the pool that meets the dead connection; a kill inside a query is
/// backend-killed-mid-transaction, and mixing the two would make the verdict a race.
/// </summary>
internal sealed class MaxConnectionAge : IFault
{
    private static readonly TimeSpan Every = TimeSpan.FromMilliseconds(200);

    public string Name => "max-connection-age";
    public string Description => $"Idle backends older than {Timing.MaxConnectionAge.TotalSeconds:0} s are terminated, under load, for {2 * Timing.FaultHold.TotalSeconds:0} s.";

    public async Task InjectAsync(FaultContext context, CancellationToken ct)
    {
        context.Ledger.MarkFault($"backends older than {Timing.MaxConnectionAge.TotalSeconds:0} s are terminated from now on");
        var start = context.Time.GetTimestamp();
        while (context.Time.GetElapsedTime(start) < 2 * Timing.FaultHold)
        {
            await context.TerminateAppBackendsAsync("idle", Timing.MaxConnectionAge, ct);
            await Task.Delay(Every, context.Time, ct);
        }
        context.Ledger.MarkHeal("age limit lifted");
    }

    public Task HealAsync(FaultContext context, CancellationToken ct) => Task.CompletedTask;
}
