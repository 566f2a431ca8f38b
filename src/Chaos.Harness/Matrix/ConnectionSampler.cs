using Chaos.Harness.History;
using Npgsql;

namespace Chaos.Harness.Matrix;

/// <summary>
/// Counts the application's server connections every <see cref="Timing.SampleEvery"/> over its own admin
/// session, into the history and keeping the peak. It survives restarts and freezes of the server by reconnecting; a missed
/// sample is only a missed sample.
/// </summary>
internal sealed class ConnectionSampler : IAsyncDisposable
{
    private readonly Func<string> _adminConnectionString;
    private readonly string _appUser;
    private readonly HistoryRecorder _history;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _peak;

    /// <param name="adminConnectionString">The server to count on, asked again at every reconnect: after a failover it is the new primary.</param>
    public ConnectionSampler(Func<string> adminConnectionString, string appUser, HistoryRecorder history)
    {
        _adminConnectionString = () => new NpgsqlConnectionStringBuilder(adminConnectionString())
        {
            Pooling = false,
            Timeout = 2,
            CommandTimeout = 1,
            ApplicationName = "chaos-sampler",
        }.ConnectionString;
        _appUser = appUser;
        _history = history;
        _loop = Task.Run(LoopAsync);
    }

    public int Peak => Volatile.Read(ref _peak);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAny(_loop, Task.Delay(TimeSpan.FromSeconds(3)));
        _stop.Dispose();
    }

    private async Task LoopAsync()
    {
        NpgsqlConnection? connection = null;
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    if (connection is null)
                    {
                        connection = new NpgsqlConnection(_adminConnectionString());
                        await connection.OpenAsync(_stop.Token);
                    }
                    await using var cmd = new NpgsqlCommand(
                        "SELECT count(*)::int FROM pg_stat_activity WHERE backend_type = 'client backend' AND usename = @user", connection);
                    cmd.Parameters.AddWithValue("user", _appUser);
                    var count = (int)(await cmd.ExecuteScalarAsync(_stop.Token))!;
                    _history.Sample(count);
                    if (count > _peak)
                    {
                        Volatile.Write(ref _peak, count);
                    }
                }
                catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException or InvalidOperationException)
                {
                    if (connection is not null)
                    {
                        await connection.DisposeAsync();
                    }
                    connection = null;
                }
                await Task.Delay(Timing.SampleEvery, _stop.Token);
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
        }
    }
}
