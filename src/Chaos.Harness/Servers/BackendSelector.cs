namespace Chaos.Harness.Servers;

/// <summary>
/// Which client backends of the cluster's database to act on. Unset fields match everything;
/// set fields must all match. The harness's own admin session never matches.
/// </summary>
internal sealed record BackendSelector
{
    /// <summary>
    /// pg_stat_activity.application_name, compared exactly. PostgreSQL keeps at most 63 bytes of it, so a
    /// longer name matches nothing: <see cref="ApplicationNames.Fit"/> makes names that fit.
    /// </summary>
    public string? ApplicationName { get; init; }

    /// <summary>pg_stat_activity.usename: the role the backend logged in as.</summary>
    public string? User { get; init; }

    /// <summary>pg_stat_activity.state: "idle", "active", "idle in transaction", ...</summary>
    public string? State { get; init; }

    /// <summary>Only backends whose backend_start is at least this long ago.</summary>
    public TimeSpan? OlderThan { get; init; }

    public int? Pid { get; init; }

    public static BackendSelector All { get; } = new();
}
