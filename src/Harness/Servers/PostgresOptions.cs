namespace Chaos.Harness.Servers;

/// <summary>Per-cluster server settings. Durability is always off: the harness tests connections, not disks.</summary>
public sealed record PostgresOptions
{
    public int MaxConnections { get; init; } = 100;
    public TimeSpan? IdleSessionTimeout { get; init; }
    public TimeSpan? IdleInTransactionSessionTimeout { get; init; }
    public bool LogConnections { get; init; } = true;

    /// <summary>Extra postgresql.conf settings; they win over the harness's own.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();
}

public enum StopMode
{
    /// <summary>SIGINT (postgres "fast"): sessions are terminated (57P01), then a shutdown checkpoint.</summary>
    Fast,

    /// <summary>SIGQUIT: every process exits at once, crash recovery on the next start.</summary>
    Immediate,
}
