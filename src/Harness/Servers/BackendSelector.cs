namespace Chaos.Harness.Servers;

/// <summary>
/// Which client backends of the cluster's database to act on. Unset fields match everything;
/// set fields must all match. The harness's own admin session never matches.
/// </summary>
public sealed record BackendSelector
{
    public string? ApplicationName { get; init; }

    /// <summary>pg_stat_activity.state: "idle", "active", "idle in transaction", ...</summary>
    public string? State { get; init; }

    /// <summary>Only backends whose backend_start is at least this long ago.</summary>
    public TimeSpan? OlderThan { get; init; }

    public int? Pid { get; init; }

    public static BackendSelector All { get; } = new();
}
