using Chaos.Harness.Checking;
using Chaos.Harness.Drivers;
using Chaos.Harness.Environments;
using Chaos.Harness.Faults;
using Chaos.Harness.History;
using Chaos.Harness.Profiles;
using Chaos.Harness.Reports;
using Chaos.Harness.Proxy;
using Chaos.Harness.Scenarios;
using Chaos.Harness.Servers;
using Chaos.Harness.Workload;

namespace Chaos.Harness.Matrix;

/// <summary>
/// Runs one cell (fault x profile) end to end, isolated from every other cell: its own environment and
/// Application Name (its server may be one an earlier cell left untouched, reset in between: <see cref="ServerShelf"/>).
/// <code>
///   environment ─ schema ─ workload (warm-up) ─ scenario (fault windows) ─ after ─ stop ─ heal all
///     ─ leftovers ─ pools disposed ─ network path closed ─ drain ─ final read ─ checkers ─ judgement
/// </code>
/// Teardown order matters: stop the workload, heal, look for sessions left idle in transaction, dispose
/// the pools and look for connections that outlived them, and only then close the network path, which
/// ends whatever hung requests still hold.
/// </summary>
internal static class CellRunner
{
    private static readonly TimeSpan DrainBound = TimeSpan.FromSeconds(5);

    /// <summary>Teardown runs to its end even when the run is cancelled (Ctrl+C, SIGTERM), within this bound.</summary>
    private static readonly TimeSpan TeardownBound = TimeSpan.FromSeconds(30);

    /// <summary>Runs the cell. Only a failure to start the environment escapes (the machine needs fixing); anything after is judged.</summary>
    public static async Task<CellResult> RunAsync(IFault fault, Profile profile, ServerBackend servers, ToxiproxyClient proxy, CancellationToken ct)
    {
        var spec = fault.Environment(CellEnvironments.For(profile));
        if (Capabilities.Missing(fault.Needs | profile.Needs, spec.Capabilities(servers), servers.Name) is { } why)
        {
            return new CellResult { Fault = fault.Name, Profile = profile.Name, Judgement = Judgement.Without(Verdict.NotApplicable, why) };
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var marks = new double[4]; // warm-up, scenario, after, teardown: when each began
        var appName = ApplicationNames.Fit($"chaos-{fault.Name}-{profile.Name}");
        await using var environment = await ChaosEnvironment.StartAsync(spec, servers, proxy, appName, ct);
        await WorkloadDatabase.CreateAsync(environment.Server, fault.Workload, ct);

        // Started once the environment is up: the watchdog bounds the cell, not its servers' start, which has
        // bounds of its own and takes seconds for a container on a loaded machine (0.15 s for a child process).
        using var watchdog = CancellationTokenSource.CreateLinkedTokenSource(ct);
        watchdog.CancelAfter(Timing.CellWatchdog);
        var token = watchdog.Token;

        var history = new HistoryRecorder();
        var problems = new List<string>();
        var watchdogFired = false;
        var connectionString = profile.ConnectionString(profile.MultiHost ? environment.MultiHostConnectionString! : environment.AppConnectionString, appName);
        var readConnectionString = profile.ReadsFromStandby
            ? new Npgsql.NpgsqlConnectionStringBuilder(profile.ConnectionString(environment.MultiHostConnectionString!, appName))
            {
                TargetSessionAttributes = "prefer-standby",
            }.ConnectionString
            : null;
        var sampler = new ConnectionSampler(() => environment.Server.AdminConnectionString, environment.Server.AppUser, history);
        var instances = fault.Workload.Instances;
        var driver = AppDrivers.For(profile, Enumerable.Repeat(connectionString, instances).ToList(),
            readConnectionString is null ? null : Enumerable.Repeat(readConnectionString, instances).ToList(), history);
        var workload = new WorkloadRunner(driver, history, fault.Workload);
        var scenario = new ScenarioRunner(new FaultTarget(environment, appName, history), workload, history);
        FinalState final;
        await using var admin = new AdminSession(() => environment.Server);
        try
        {
            await driver.StartAsync(token);
            marks[0] = clock.Elapsed.TotalMilliseconds;
            workload.Start();
            var warmedUp = workload.WarmedUpAsync(Timing.WarmUpBound, token);
            await Task.WhenAll(Task.Delay(Timing.WarmUp, token), warmedUp);
            if (!await warmedUp)
            {
                history.Note(TimelineKinds.Note, $"not every worker had a request succeed within {Timing.WarmUpBound.TotalSeconds:0} s; the fault strikes anyway");
            }
            marks[1] = clock.Elapsed.TotalMilliseconds;
            await scenario.RunAsync(fault.Scenario, token);
            marks[2] = clock.Elapsed.TotalMilliseconds;
            await Task.Delay(Timing.After, token);
        }
        catch (OperationCanceledException) when (watchdog.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            watchdogFired = true;
            history.Note(TimelineKinds.Hung, $"cell watchdog fired after {Timing.CellWatchdog.TotalSeconds:0} s");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            problems.Add($"the scenario failed: {e.GetType().Name}: {e.Message}");
            history.Note(TimelineKinds.Note, $"the scenario failed: {e.GetType().Name}: {e.Message}");
        }
        finally
        {
            marks[3] = clock.Elapsed.TotalMilliseconds;
            // Heals and leftovers are looked at even when the run is cancelled: nothing of a cell may outlive it.
            using var teardown = new CancellationTokenSource(TeardownBound);
            await workload.StopAsync();
            await scenario.HealAllAsync(teardown.Token);
            var (idleInTx, locks) = await WorkloadDatabase.LeftoverSessionsAsync(admin, teardown.Token);
            await workload.DisposeAsync();
            await driver.DisposeAsync();
            var leftover = profile.Route == Route.Direct && !ct.IsCancellationRequested
                ? await WorkloadDatabase.LeftoverConnectionsAsync(admin, appName, teardown.Token)
                : 0;
            await sampler.DisposeAsync();
            final = new FinalState
            {
                IdleInTransaction = idleInTx,
                HoldingLocks = locks,
                LeftoverConnections = leftover,
                PeakServerConnections = sampler.Peak,
                WatchdogFired = watchdogFired,
            };
            // Closing the network path ends requests that were called hung.
            await environment.ClosePathAsync(teardown.Token);
            await workload.DrainAbandonedAsync(DrainBound);
        }

        // A cancelled run judges nothing: a cell cut short would get a verdict it did not earn.
        ct.ThrowIfCancellationRequested();
        final = final with
        {
            Rows = await WorkloadDatabase.ReadWritesAsync(admin, ct),
            HarnessProblems = [.. scenario.Problems, .. problems],
        };
        await admin.DisposeAsync(); // before the server is stopped or reset for the next cell
        var taken = history.Take();
        var judgement = Judge.Cell(taken, final);
        await environment.DisposeAsync();
        var end = clock.Elapsed.TotalMilliseconds;
        // A phase that did not begin (the watchdog fired, the scenario failed) ends where the next one began.
        for (var i = 1; i < marks.Length; i++)
        {
            marks[i] = Math.Max(marks[i], marks[i - 1]);
        }
        return new CellResult
        {
            Phases = new CellPhases(Math.Round(marks[0]), Math.Round(marks[1] - marks[0]), Math.Round(marks[2] - marks[1]),
                Math.Round(marks[3] - marks[2]), Math.Round(end - marks[3])),
            Fault = fault.Name,
            Profile = profile.Name,
            Judgement = judgement,
            DurationMs = taken.EndMs,
            Timeline = taken.Timeline,
            Windows = taken.Windows,
            Series = CellSeries.From(taken),
            Versions = Versions(environment),
        };
    }

    private static Dictionary<string, string> Versions(ChaosEnvironment environment)
    {
        var versions = new Dictionary<string, string> { ["postgres"] = environment.Server.Version.Split(' ')[0] };
        if (environment.Pooler is { } pooler)
        {
            versions["pgbouncer"] = pooler.Version;
        }
        return versions;
    }
}
