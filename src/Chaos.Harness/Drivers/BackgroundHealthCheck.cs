using Chaos.Harness.History;
using Chaos.Harness.Profiles;
using Chaos.Harness.Workload;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Chaos.Harness.Drivers;

/// <summary>
/// A health check beside the application's requests, on the application's own pool (claim 8): the
/// hand-written loop, or ASP.NET Core's as teams deploy it: AspNetCore.HealthChecks.NpgSql registered with
/// AddHealthChecks() and run by the framework's publisher hosted service. Failures go on the timeline.
/// </summary>
internal sealed class BackgroundHealthCheck : IAsyncDisposable
{
    private static readonly TimeSpan Every = TimeSpan.FromMilliseconds(500);

    // The publisher refuses a period under one second (its default is 30 s): the shortest a deployment can have.
    private static readonly TimeSpan PublisherPeriod = TimeSpan.FromSeconds(1);

    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop = Task.CompletedTask;
    private readonly ServiceProvider? _services;
    private readonly IHostedService[] _hosted = [];

    private BackgroundHealthCheck(HealthCheck kind, NpgsqlDataSource source, HistoryRecorder history)
    {
        if (kind == HealthCheck.Loop)
        {
            _loop = Task.Run(() => LoopAsync(source, history));
        }
        else if (kind == HealthCheck.AspNetCore)
        {
            var services = new ServiceCollection();
            services.AddLogging();
            services.AddHealthChecks().AddNpgSql(_ => source, name: "postgres");
            services.Configure<HealthCheckPublisherOptions>(o =>
            {
                o.Delay = TimeSpan.Zero;
                o.Period = PublisherPeriod;
            });
            services.AddSingleton<IHealthCheckPublisher>(new TimelinePublisher(history));
            _services = services.BuildServiceProvider();
            _hosted = [.. _services.GetServices<IHostedService>()];
        }
    }

    public static async Task<BackgroundHealthCheck> StartAsync(HealthCheck kind, NpgsqlDataSource source, HistoryRecorder history, CancellationToken ct)
    {
        var check = new BackgroundHealthCheck(kind, source, history);
        foreach (var hosted in check._hosted)
        {
            await hosted.StartAsync(ct);
        }
        return check;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        foreach (var hosted in _hosted)
        {
            await hosted.StopAsync(CancellationToken.None);
        }
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }
        _stop.Dispose();
    }

    private async Task LoopAsync(NpgsqlDataSource source, HistoryRecorder history)
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                await Task.Delay(Every, _stop.Token);
                try
                {
                    await using var connection = await source.OpenConnectionAsync(_stop.Token);
                    await using var cmd = new NpgsqlCommand("SELECT 1", connection);
                    await cmd.ExecuteScalarAsync(_stop.Token);
                }
                catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException or ObjectDisposedException)
                {
                    history.Note(TimelineKinds.Broken, $"the background health check failed: {OutcomeClassifier.Describe(e)}", OutcomeClassifier.SqlState(e));
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Where ASP.NET Core's publisher sends each report: an unhealthy one goes on the timeline.</summary>
    private sealed class TimelinePublisher(HistoryRecorder history) : IHealthCheckPublisher
    {
        public Task PublishAsync(HealthReport report, CancellationToken cancellationToken)
        {
            foreach (var (name, entry) in report.Entries.Where(e => e.Value.Status != HealthStatus.Healthy))
            {
                var cause = entry.Exception is { } e ? OutcomeClassifier.Describe(e) : entry.Description ?? entry.Status.ToString();
                history.Note(TimelineKinds.Broken, $"the ASP.NET Core health check '{name}' reported {entry.Status}: {cause}",
                    entry.Exception is { } x ? OutcomeClassifier.SqlState(x) : null);
            }
            return Task.CompletedTask;
        }
    }
}
