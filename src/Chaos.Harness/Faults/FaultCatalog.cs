namespace Chaos.Harness.Faults;

/// <summary>Every fault the matrix runs, in report order. Faults keep no state, so one instance serves every cell.</summary>
internal static class FaultCatalog
{
    public static IReadOnlyList<IFault> All { get; } =
    [
        new IdleBackendsKilled(),
        new BackendKilledMidTransaction(),
        new TcpResetMidTransaction(),
        new CommitAckLost(),
        new BlackHole(),
        new ServerIdleTimeout(),
        new SilentIdleDrop(),
        new MaxConnectionAge(),
        new ScaleToZero(),
        new ServerRestart(),
        new ServerCrash(),
        new ServerFreeze(),
        new LatencySpike(),
        new PoolExhaustion(),
        new ConnectionLimit(),
        new SessionStateLoss(),
        new DataCut(),
        new Failover(synchronous: false),
        new Failover(synchronous: true),
        new Switchover(),
        new ReplicaLag(),
        new NetworkPartition(),
        new OneWayPartition(),
        new IdleFlowDrop(),
        new IdleFlowReset(),
        new ConnectTimeout(),
        new PacketLoss(),
    ];

    public static IReadOnlyList<string> Names { get; } = [.. All.Select(f => f.Name)];

    /// <summary>The named fault; an unknown name is a <see cref="UsageException"/> listing the known ones.</summary>
    public static IFault Get(string name) =>
        All.FirstOrDefault(f => f.Name == name.Trim())
        ?? throw new UsageException($"unknown fault '{name.Trim()}'; known faults: {string.Join(", ", Names)}");
}
