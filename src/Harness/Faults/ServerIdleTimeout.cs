using Chaos.Harness.Servers;

namespace Chaos.Harness.Faults;

/// <summary>
/// The server closes sessions idle longer than idle_session_timeout (managed providers set it), and
/// traffic resumes after a longer idle period.
/// </summary>
internal sealed class ServerIdleTimeout : IFault
{
    public string Name => "server-idle-timeout";
    public string Description => $"idle_session_timeout={Timing.ServerIdleSessionTimeout.TotalSeconds:0} s closes idle sessions; traffic resumes after {Timing.IdlePeriod.TotalSeconds:0} s.";
    public bool NeedsManagedServer => true;

    public PostgresOptions Server(PostgresOptions options) => options with { IdleSessionTimeout = Timing.ServerIdleSessionTimeout };

    public async Task InjectAsync(FaultContext context, CancellationToken ct)
    {
        await context.Workload.PauseAsync(ct);
        context.Ledger.MarkFault($"idle period begins; the server closes sessions idle for {Timing.ServerIdleSessionTimeout.TotalSeconds:0} s");
        await context.HoldAsync(Timing.IdlePeriod, ct);
        context.Ledger.MarkHeal("traffic resumes after the idle period");
        context.Workload.Resume();
    }

    public Task HealAsync(FaultContext context, CancellationToken ct)
    {
        context.Workload.Resume();
        return Task.CompletedTask;
    }
}
