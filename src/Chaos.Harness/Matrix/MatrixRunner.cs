using System.Collections.Concurrent;
using System.Diagnostics;
using Chaos.Harness.Checking;
using Chaos.Harness.Expectations;
using Chaos.Harness.Faults;
using Chaos.Harness.Profiles;
using Chaos.Harness.Proxy;
using Chaos.Harness.Reports;
using Chaos.Harness.Servers;
using Chaos.Harness.Workload;

namespace Chaos.Harness.Matrix;

/// <summary>Runs the chosen cells, several at once, and attaches each cell's expectation.</summary>
internal static class MatrixRunner
{
    /// <summary>
    /// Runs the matrix; <paramref name="progress"/> hears of each cell as it starts and ends. When
    /// <paramref name="ct"/> is cancelled, the cells already finished come back in a record marked
    /// <see cref="MatrixRecord.Partial"/>, every server of the others stopped.
    /// </summary>
    public static async Task<MatrixRecord> RunAsync(MatrixOptions options, IProgress<CellProgress>? progress = null, CancellationToken ct = default)
    {
        ThreadPoolHeadroom.Ensure();
        var faults = options.Faults.Select(FaultCatalog.Get).ToList();
        var servers = options.Servers ?? ServerBackend.FromEnvironment();
        var started = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        await using var proxyHost = await ProxyHost.StartAsync(ct);

        var cells = faults.SelectMany(f => options.Profiles.Select(p => (Fault: f, Profile: p)))
            .Where(c => options.Include?.Invoke(c.Fault.Name, c.Profile.Name) ?? true)
            .ToList();
        var results = new ConcurrentDictionary<int, CellResult>();
        using var own = options.Slots is null ? new CellSlots(options.Parallelism) : null;
        var slots = options.Slots ?? own!;
        // Untouched managed servers go from one cell to the next (reset in between) instead of being stopped and
        // started again; the shelf stops the ones still parked when the run ends, cancelled or not.
        await using var shelf = new ServerShelf(slots.Capacity, WorkloadDatabase.DropSql);
        var cellServers = servers.WithShelf(shelf);
        var tasks = cells.Select(async (cell, index) =>
        {
            using (await slots.TakeAsync(CellSlots.WeightOf(cell.Fault.PeakSessions), ct))
            {
                progress?.Report(new CellProgress(cell.Fault.Name, cell.Profile.Name, null, index, cells.Count));
                var result = await RunCellAsync(cell.Fault, cell.Profile, cellServers, proxyHost.Client, ct);
                results[index] = result;
                progress?.Report(new CellProgress(cell.Fault.Name, cell.Profile.Name, result, index, cells.Count));
            }
        }).ToList();
        var partial = false;
        try
        {
            await Task.WhenAll(tasks);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            partial = true;
        }

        var ordered = results.OrderBy(r => r.Key).Select(r => r.Value).ToList();
        var environment = new Dictionary<string, string>
        {
            ["npgsql"] = typeof(Npgsql.NpgsqlConnection).Assembly.GetName().Version?.ToString(3) ?? "?",
            ["proxy"] = proxyHost.IsEmbedded ? "embedded" : proxyHost.Client.ApiAddress.ToString(),
            ["server"] = servers.Name,
            ["machine"] = $"{Environment.ProcessorCount} cores, {Environment.OSVersion}",
            ["parallelism"] = $"{slots.Capacity}",
            // Which build measured this: `chaos merge` refuses shards of different builds.
            ["harness"] = HarnessBuild.Version,
            ["commit"] = HarnessBuild.Commit,
        };
        foreach (var (key, value) in servers.Details)
        {
            environment[key] = value;
        }
        foreach (var (part, version) in ordered.SelectMany(c => c.Versions).DistinctBy(v => v.Key))
        {
            environment[part] = version;
        }
        return new MatrixRecord
        {
            StartedAt = started,
            DurationMs = Math.Round(clock.Elapsed.TotalMilliseconds),
            Partial = partial,
            Environment = environment,
            Cells = [.. ordered.Select(c => c.ToRecord())],
        };
    }

    /// <summary>
    /// One cell, with its expectation attached. A crash of the harness inside the cell is reported as
    /// <see cref="Verdict.Error"/>, not thrown; a server that cannot start is thrown (the machine needs fixing).
    /// </summary>
    public static async Task<CellResult> RunCellAsync(IFault fault, Profile profile, ServerBackend servers, ToxiproxyClient proxy, CancellationToken ct)
    {
        ThreadPoolHeadroom.Ensure();
        CellResult result;
        try
        {
            result = await CellRunner.RunAsync(fault, profile, servers, proxy, ct);
        }
        catch (ServerSetupException)
        {
            throw;
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            result = new CellResult
            {
                Fault = fault.Name,
                Profile = profile.Name,
                Judgement = Judgement.Without(Verdict.Error, $"the harness could not run this cell: {e.GetType().Name}: {e.Message}"),
            };
        }
        return result with { Expected = ExpectationFor(fault, profile, servers) };
    }

    /// <summary>
    /// The built-in expectation, unless this environment lacks a capability the reference environment has for
    /// the fault: attached to someone else's server, a fault that needs process control is the environment's
    /// not-applicable, not a regression.
    /// </summary>
    private static Expectations.Expectation? ExpectationFor(IFault fault, Profile profile, ServerBackend servers)
    {
        var reference = ExpectedMatrix.ReferenceServers.Capabilities & (fault.Needs | profile.Needs);
        return (servers.Capabilities & reference) == reference ? ExpectedMatrix.For(fault.Name, profile.Name) : null;
    }
}

/// <summary>A cell starting (<see cref="Result"/> null) or finished.</summary>
internal sealed record CellProgress(string Fault, string Profile, CellResult? Result, int Index, int Total);
