namespace Chaos.Harness.Servers;

/// <summary>
/// A PostgreSQL server a cell or a test runs against: where the application reaches it, how the harness
/// administers it, and its backends. What else can be done to it is in <see cref="Capabilities"/>, each
/// backed by an interface the server also implements (<see cref="IProcessControl"/>, <see cref="IFreezable"/>,
/// <see cref="IBackendFreezable"/>).
/// </summary>
internal interface IPostgresServer : IAsyncDisposable
{
    /// <summary>The address the harness process reaches the server at.</summary>
    string Host { get; }

    int Port { get; }

    /// <summary>The application's database: the schema and the final read live there.</summary>
    string Database { get; }

    string AppUser { get; }
    string AppPassword { get; }

    /// <summary>SHOW server_version, e.g. "15.18 (Debian 15.18-0+deb12u1)".</summary>
    string Version { get; }

    /// <summary>What can be done to this server beyond backend administration.</summary>
    Capability Capabilities { get; }

    /// <summary>A superuser on database postgres, no pooling: for the harness's own admin actions.</summary>
    string AdminConnectionString { get; }

    /// <summary>The application role on <see cref="Database"/>; pool settings are left to the caller (the profile).</summary>
    string AppConnectionString { get; }

    /// <summary>pg_terminate_backend for every matching client backend of <see cref="Database"/>; returns how many were terminated.</summary>
    Task<int> TerminateBackendsAsync(BackendSelector selector, CancellationToken ct = default);

    /// <summary>Client backends of <see cref="Database"/>, from pg_stat_activity; the harness's own sessions are not among them.</summary>
    Task<ActivitySnapshot> GetActivityAsync(CancellationToken ct = default);

    /// <summary>The server log, or a line saying why it is not available.</summary>
    Task<string> ReadLogAsync(CancellationToken ct = default);
}

/// <summary>Stop, start and restart the server process (<see cref="Capability.ProcessControl"/>).</summary>
internal interface IProcessControl
{
    Task StopAsync(StopMode mode, CancellationToken ct = default);

    /// <summary>Starts a stopped server on its port; does nothing when it runs.</summary>
    Task StartAsync(CancellationToken ct = default);

    Task RestartAsync(StopMode mode = StopMode.Fast, CancellationToken ct = default);
}

/// <summary>Suspend the whole server and resume it (<see cref="Capability.Freeze"/>).</summary>
internal interface IFreezable
{
    Task FreezeAsync(CancellationToken ct = default);

    /// <summary>Resumes a frozen server; does nothing when it is not frozen.</summary>
    Task ThawAsync(CancellationToken ct = default);
}

/// <summary>Suspend single backends (<see cref="Capability.BackendFreeze"/>).</summary>
internal interface IBackendFreezable
{
    /// <summary>Suspends the matching backends and returns their pids.</summary>
    Task<IReadOnlyList<int>> FreezeBackendsAsync(BackendSelector selector, CancellationToken ct = default);

    /// <summary>Ends backends frozen by <see cref="FreezeBackendsAsync"/> so they never answer what they swallowed.</summary>
    Task TerminateAndThawBackendsAsync(IReadOnlyList<int> pids, CancellationToken ct = default);
}

internal enum StopMode
{
    /// <summary>SIGINT (postgres "fast"): sessions are terminated (57P01), then a shutdown checkpoint.</summary>
    Fast,

    /// <summary>SIGQUIT: every process exits at once, crash recovery on the next start.</summary>
    Immediate,
}
