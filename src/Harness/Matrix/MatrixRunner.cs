using System.Collections.Concurrent;
using System.Diagnostics;
using Chaos.Harness.Checking;
using Chaos.Harness.Faults;
using Chaos.Harness.Proxy;

namespace Chaos.Harness.Matrix;

/// <summary>Runs the chosen cells, several at once, and attaches each cell's expectation.</summary>
public static class MatrixRunner
{
    /// <summary>Runs the matrix; <paramref name="progress"/> hears of each cell as it starts and ends.</summary>
    public static async Task<MatrixResult> RunAsync(MatrixOptions options, IProgress<CellProgress>? progress = null, CancellationToken ct = default)
    {
        ThreadPoolHeadroom.Ensure();
        var faults = options.Faults.Select(FaultCatalog.Create).ToList();
        var started = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        await using var proxyHost = await ProxyHost.StartAsync(ct);

        var cells = faults.SelectMany(f => options.Profiles.Select(p => (Fault: f.Name, Profile: p))).ToList();
        var results = new ConcurrentDictionary<int, CellResult>();
        using var slots = new SemaphoreSlim(Math.Max(1, options.Parallelism));
        var tasks = cells.Select(async (cell, index) =>
        {
            await slots.WaitAsync(ct);
            try
            {
                progress?.Report(new CellProgress(cell.Fault, cell.Profile.Name, null, index, cells.Count));
                var result = await RunCellAsync(FaultCatalog.Create(cell.Fault), cell.Profile, proxyHost.Client, index, ct);
                results[index] = result;
                progress?.Report(new CellProgress(cell.Fault, cell.Profile.Name, result, index, cells.Count));
            }
            finally
            {
                slots.Release();
            }
        }).ToList();
        await Task.WhenAll(tasks);

        return new MatrixResult
        {
            StartedAt = started,
            DurationMs = Math.Round(clock.Elapsed.TotalMilliseconds),
            Environment = new Dictionary<string, string>
            {
                ["npgsql"] = typeof(Npgsql.NpgsqlConnection).Assembly.GetName().Version?.ToString(3) ?? "?",
                ["proxy"] = proxyHost.IsEmbedded ? "embedded" : proxyHost.Client.ApiAddress.ToString(),
                ["server"] = Servers.PostgresCluster.IsAttachConfigured ? "attached (CHAOS_PG_ADMIN)" : "managed",
                ["machine"] = $"{Environment.ProcessorCount} cores, {Environment.OSVersion}",
                ["parallelism"] = $"{options.Parallelism}",
            },
            Cells = [.. results.OrderBy(r => r.Key).Select(r => r.Value)],
        };
    }

    /// <summary>One cell, with its expectation attached; a crash of the harness itself is reported, not thrown.</summary>
    public static async Task<CellResult> RunCellAsync(IFault fault, Profiles.Profile profile, ToxiproxyClient proxy, int seed, CancellationToken ct)
    {
        ThreadPoolHeadroom.Ensure();
        CellResult result;
        try
        {
            result = await CellRunner.RunAsync(fault, profile, proxy, seed, TimeProvider.System, ct);
        }
        catch (Servers.ServerSetupException e) when (e.Data.Contains(CellRunner.BeforeStart))
        {
            throw; // the user must fix the machine; no cell can run
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            result = new CellResult
            {
                Fault = fault.Name,
                Profile = profile.Name,
                Verdict = Verdict.Failed,
                Reason = $"the harness could not run this cell: {e.GetType().Name}: {e.Message}",
                Seed = seed,
            };
        }
        // Attached to someone else's server, a fault that needs process control cannot run: that is the
        // environment's doing, not a regression against the expectation.
        return fault.NeedsManagedServer && Servers.PostgresCluster.IsAttachConfigured ? result : Expectations.Attach(result);
    }
}

/// <summary>A cell starting (<see cref="Result"/> null) or finished.</summary>
public sealed record CellProgress(string Fault, string Profile, CellResult? Result, int Index, int Total);
