namespace Chaos.Harness.Servers;

/// <summary>One client backend as pg_stat_activity saw it.</summary>
public sealed record BackendActivity(int Pid, string ApplicationName, string State, TimeSpan Age);

/// <summary>The client backends of the cluster's database at one moment (the harness's own session excluded).</summary>
public sealed record ActivitySnapshot
{
    public ActivitySnapshot(IReadOnlyList<BackendActivity> backends)
    {
        Backends = backends;
        Counts = backends
            .GroupBy(b => (b.ApplicationName, b.State))
            .ToDictionary(g => g.Key, g => g.Count());
    }

    public IReadOnlyList<BackendActivity> Backends { get; }

    public int Total => Backends.Count;

    /// <summary>Backends per (application_name, state).</summary>
    public IReadOnlyDictionary<(string App, string State), int> Counts { get; }

    /// <summary>Includes aborted transactions ("idle in transaction (aborted)"): both hold a server connection hostage.</summary>
    public int IdleInTransaction => Backends.Count(b => b.State.StartsWith("idle in transaction", StringComparison.Ordinal));

    public TimeSpan? OldestBackendAge => Backends.Count == 0 ? null : Backends.Max(b => b.Age);

    public int CountFor(string app, string? state = null) =>
        Backends.Count(b => b.ApplicationName == app && (state is null || b.State == state));
}
