using Chaos.Harness.Environments;
using Chaos.Harness.History;
using Chaos.Harness.Network;
using Chaos.Harness.Proxy;
using Chaos.Harness.Servers;
using Chaos.Harness.Workload;

namespace Chaos.Harness.Scenarios;

/// <summary>What a nemesis can reach: the environment's parts, the application's name, and the transaction a hook caught.</summary>
internal sealed class FaultTarget
{
    internal FaultTarget(ChaosEnvironment environment, string applicationName, HistoryRecorder history, StrikePoint? victim = null)
    {
        Environment = environment;
        ApplicationName = applicationName;
        History = history;
        Victim = victim;
    }

    public ChaosEnvironment Environment { get; }

    /// <summary>The application's Application Name; its backends carry it (through PgBouncer too).</summary>
    public string ApplicationName { get; }

    /// <summary>The write transaction a hook caught, when the scenario strikes at one.</summary>
    public StrikePoint? Victim { get; }

    internal HistoryRecorder History { get; }

    public IPostgresServer Server => Environment.Server;

    public ProxyPath Proxy => Environment.Path;

    /// <summary>The database host of the kernel network path; the scenario checked <see cref="Capability.KernelNetwork"/> before.</summary>
    public Network.Kernel.DatabaseHost NetworkHost =>
        Environment.NetworkHost ?? throw new InvalidOperationException("this fault acts on the kernel network path: its environment must ask for it (EnvironmentSpec.KernelNetwork)");

    /// <summary>The victim, for a nemesis that only makes sense inside a transaction.</summary>
    public StrikePoint RequireVictim() =>
        Victim ?? throw new InvalidOperationException("this fault strikes a transaction: its scenario must inject at a hook");

    /// <summary>The server as <typeparamref name="T"/> (a capability interface); the scenario checked the capability before.</summary>
    public T Require<T>() where T : class =>
        Server as T ?? throw new InvalidOperationException($"the server ({Server.GetType().Name}) cannot {typeof(T).Name}");

    internal FaultTarget At(StrikePoint victim) => new(Environment, ApplicationName, History, victim);

    public void Note(string detail, string? sqlState = null) => History.Note(TimelineKinds.Note, detail, sqlState);

    /// <summary>Adds a toxic to this environment's proxy and notes it.</summary>
    public async Task AddToxicAsync(ToxicSpec toxic, CancellationToken ct)
    {
        await Proxy.AddToxicAsync(toxic, ct);
        Note($"toxic {toxic.Name ?? toxic.Type} added ({toxic.Type}, {toxic.Stream.ToString().ToLowerInvariant()})");
    }

    /// <summary>
    /// pg_terminate_backend on the application's backends that match, noted on the timeline. Returns how many
    /// were terminated and, when none were although the application's role had matching backends, why that
    /// is a miss: a selector that matched nothing must not let a cell pass.
    /// </summary>
    public async Task<(int Killed, string? Missed)> TerminateAppBackendsAsync(string? state, TimeSpan? olderThan, CancellationToken ct)
    {
        var selector = new BackendSelector { ApplicationName = ApplicationName, State = state, OlderThan = olderThan };
        var killed = await Server.TerminateBackendsAsync(selector, ct);
        if (killed > 0)
        {
            History.Note(TimelineKinds.Broken, $"pg_terminate_backend: {killed} {state ?? "any-state"} backend(s)" + (olderThan is { } age ? $" older than {age.TotalSeconds:0.#} s" : ""), "57P01");
            return (killed, null);
        }
        var byRole = (await Server.GetActivityAsync(ct)).Backends
            .Count(b => b.User == Server.AppUser && (state is null || b.State == state) && (olderThan is null || b.Age >= olderThan));
        History.Note(TimelineKinds.Note, $"pg_terminate_backend: no {state ?? "any-state"} backend of application '{ApplicationName}' to terminate");
        return (0, byRole == 0 ? null : $"no backend carried application_name '{ApplicationName}', but the application's role had {byRole} matching backend(s)");
    }
}
