namespace Chaos.Harness.Workload;

/// <summary>
/// How the simulated application reaches the database: plain Npgsql today, with the profile's client
/// policy (validation on checkout, retry) applied inside. The driver runs one request to its end and
/// throws what the application would see; the workload records the outcome.
/// </summary>
internal interface IAppDriver : IAsyncDisposable
{
    /// <summary>The points inside a write transaction where a fault can strike.</summary>
    Hooks Hooks { get; }

    /// <summary>Starts what runs beside the requests (a background health check); called once, before the first request.</summary>
    Task StartAsync(CancellationToken ct);

    Task ExecuteAsync(Request request, CancellationToken ct);
}
