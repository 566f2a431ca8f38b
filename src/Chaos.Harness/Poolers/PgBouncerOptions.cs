namespace Chaos.Harness.Poolers;

internal enum PoolMode { Session, Transaction }

/// <summary>PgBouncer's settings for one instance. Immutable: a fault changes what it needs with <c>with</c> and keeps the rest.</summary>
internal sealed record PgBouncerOptions
{
    public PoolMode Mode { get; init; } = PoolMode.Transaction;
    public int DefaultPoolSize { get; init; } = 20;
    public int MaxClientConn { get; init; } = 1000;
    public TimeSpan? ServerLifetime { get; init; }
    public TimeSpan? ServerIdleTimeout { get; init; }
    public TimeSpan? ClientIdleTimeout { get; init; }

    /// <summary>Where PgBouncer connects; default the server's. Set both to route PgBouncer through a fault proxy.</summary>
    public string? UpstreamHost { get; init; }
    public int? UpstreamPort { get; init; }

    /// <summary>Extra pgbouncer.ini [pgbouncer] settings; they win over the harness's own.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();
}
