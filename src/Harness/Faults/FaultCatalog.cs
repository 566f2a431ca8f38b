namespace Chaos.Harness.Faults;

/// <summary>Every fault the matrix runs, in report order. A fault may keep per-cell state, so each cell gets a new one.</summary>
public static class FaultCatalog
{
    private static readonly Func<IFault>[] Factories =
    [
        () => new IdleBackendsKilled(),
        () => new BackendKilledMidTransaction(),
        () => new TcpResetMidTransaction(),
        () => new CommitAckLost(),
        () => new BlackHole(),
        () => new ServerIdleTimeout(),
        () => new SilentIdleDrop(),
        () => new MaxConnectionAge(),
        () => new ScaleToZero(),
        () => new ServerRestart(),
        () => new ServerCrash(),
        () => new ServerFreeze(),
        () => new LatencySpike(),
        () => new PoolExhaustion(),
        () => new ConnectionLimit(),
        () => new SessionStateLoss(),
        () => new DataCut(),
    ];

    public static IReadOnlyList<IFault> All => [.. Factories.Select(f => f())];

    public static IReadOnlyList<string> Names => [.. All.Select(f => f.Name)];

    /// <summary>A new instance of the named fault.</summary>
    public static IFault Create(string name) =>
        All.FirstOrDefault(f => f.Name == name.Trim())
        ?? throw new UsageException($"unknown fault '{name.Trim()}'; known faults: {string.Join(", ", Names)}");
}
