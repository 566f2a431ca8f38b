namespace Chaos.Harness.Servers;

/// <summary>
/// Per-server settings. fsync, full_page_writes and synchronous_commit are off unless <see cref="Settings"/>
/// turn them on: the harness tests connections, not disks (a crash fault turns synchronous_commit on).
/// </summary>
internal sealed record PostgresOptions
{
    public int MaxConnections { get; init; } = 100;
    public TimeSpan? IdleSessionTimeout { get; init; }
    public TimeSpan? IdleInTransactionSessionTimeout { get; init; }
    public bool LogConnections { get; init; } = true;

    /// <summary>Extra postgresql.conf settings; they win over the harness's own.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();
}
