using Chaos.Harness.Servers;
using Chaos.Harness.Workload;

namespace Chaos.Harness.Faults;

/// <summary>
/// Several app instances whose pools together want more than max_connections (claim 9): instances x
/// pool size is what the server must hold, not the pool size alone.
/// </summary>
internal sealed class ConnectionLimit : IFault
{
    private const int Instances = 3;
    private const int MaxConnections = 20;
    private const int BurstPerInstance = 6;

    public string Name => "connection-limit";
    public string Description => $"{Instances} app instances burst to {Instances * (BurstPerInstance + 2)} sessions against max_connections={MaxConnections}.";
    public bool NeedsManagedServer => true;
    public WorkloadSpec Workload => new(Workers: 2, Instances: Instances);

    public PostgresOptions Server(PostgresOptions options) => options with { MaxConnections = MaxConnections };

    // PgBouncer must stay under the server's limit (minus the superuser's reserved slots) to show what it is for.
    public PgBouncerOptions Bouncer(PgBouncerOptions options) => new()
    {
        Mode = options.Mode,
        DefaultPoolSize = 10,
        MaxClientConn = options.MaxClientConn,
        Settings = options.Settings,
    };

    public async Task InjectAsync(FaultContext context, CancellationToken ct)
    {
        context.Ledger.MarkFault($"every instance bursts {BurstPerInstance} long-held sessions");
        await context.Workload.BurstAsync(OpKind.Hold, BurstPerInstance);
        context.Ledger.MarkHeal("burst over");
    }

    public Task HealAsync(FaultContext context, CancellationToken ct) => Task.CompletedTask;
}
