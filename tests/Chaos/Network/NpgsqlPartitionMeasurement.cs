using System.Collections.Concurrent;
using System.Diagnostics;
using Chaos.Harness.Network.Kernel;
using Npgsql;
using NUnit.Framework;

namespace Chaos.Tests.Network;

/// <summary>
/// Not an assertion but a measurement (run it by name): how long after a partition Npgsql reports a
/// connection broken, per profile, for a query in flight and for an idle connection. All connections
/// share one partition, so the whole table takes as long as its slowest cell.
/// </summary>
[Explicit("a measurement of about two minutes; run by name")]
public class NpgsqlPartitionMeasurement : KernelNetworkTest
{
    private static readonly (string Name, string Settings)[] Profiles =
    [
        ("defaults", ""),
        ("tcp-keepalive 1/1", "Tcp Keepalive=true;Tcp Keepalive Time=1;Tcp Keepalive Interval=1"),
        ("tcp-keepalive 1/1, Timeout=3", "Tcp Keepalive=true;Tcp Keepalive Time=1;Tcp Keepalive Interval=1;Timeout=3"),
        ("Keepalive=1", "Keepalive=1"),
    ];

    [Test]
    public async Task Measure_how_long_Npgsql_takes_to_report_a_partition()
    {
        using var budget = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var ct = budget.Token;
        var pg = Own(await NamespacedPostgres.StartAsync(await CreateHostAsync(), Timeout));
        var results = new ConcurrentBag<string>();
        var clock = new Stopwatch();
        var partitioned = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        async Task InFlight(string profile, string settings, int commandTimeout)
        {
            await using var conn = new NpgsqlConnection(pg.ConnectionString($"measure-{profile}", settings));
            await conn.OpenAsync(ct);
            await using var cmd = new NpgsqlCommand("SELECT pg_sleep(300)", conn) { CommandTimeout = commandTimeout };
            var query = cmd.ExecuteNonQueryAsync(ct);
            await partitioned.Task;
            results.Add(Describe($"{profile}, query in flight, Command Timeout={commandTimeout}", await FailureAsync(query, clock)));
        }

        async Task Idle(string profile, string settings)
        {
            await using var conn = new NpgsqlConnection(pg.ConnectionString($"measure-idle-{profile}", settings));
            await conn.OpenAsync(ct);
            TimeSpan? closed = null;
            conn.StateChange += (_, e) => { if (e.CurrentState == System.Data.ConnectionState.Closed) closed ??= clock.Elapsed; };
            await partitioned.Task;
            await Task.Delay(TimeSpan.FromSeconds(20), ct); // the idle period under measurement
            var noticed = closed is { } c ? $"noticed while idle at {c.TotalSeconds:0.0}s" : "not noticed in 20 s idle";
            var issued = clock.Elapsed;
            var failure = await FailureAsync(Task.Run(async () =>
            {
                if (conn.State != System.Data.ConnectionState.Open) throw new InvalidOperationException("connection already closed");
                await using var cmd = new NpgsqlCommand("SELECT 1", conn);
                await cmd.ExecuteScalarAsync(ct);
            }, ct), clock);
            results.Add(Describe($"{profile}, idle ({noticed}); query at {issued.TotalSeconds:0.0}s", failure with { After = failure.After - issued }));
        }

        var cells = new List<Task>();
        foreach (var (name, settings) in Profiles)
        {
            cells.Add(InFlight(name, settings, commandTimeout: 30));
            cells.Add(InFlight(name, settings, commandTimeout: 0));
            cells.Add(Idle(name, settings));
        }
        await Task.Delay(TimeSpan.FromSeconds(2), ct); // every query is on the server (pg_sleep) by then
        await pg.Host.ApplyAsync(new Partition(), ct);
        clock.Start();
        partitioned.SetResult();
        await Task.WhenAll(cells);

        foreach (var line in results.Order()) TestContext.Out.WriteLine(line);
    }

    private sealed record Failure(TimeSpan After, string What);

    private static async Task<Failure> FailureAsync(Task operation, Stopwatch clock)
    {
        try
        {
            await operation;
            return new Failure(clock.Elapsed, "no error");
        }
        catch (Exception e)
        {
            var chain = string.Join(" <- ", Chain(e).Select(x => $"{x.GetType().Name}: {x.Message}"));
            return new Failure(clock.Elapsed, chain);
        }
    }

    private static IEnumerable<Exception> Chain(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException) yield return x;
    }

    private static string Describe(string cell, Failure f) => $"{cell}: {f.After.TotalSeconds:0.0}s  {f.What}";
}
