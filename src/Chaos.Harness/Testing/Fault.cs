using Chaos.Harness.Faults;
using Chaos.Harness.Proxy;
using Chaos.Harness.Scenarios;
using Chaos.Harness.Servers;

namespace Chaos.Harness.Testing;

/// <summary>
/// A failure mode the code under test meets, for <see cref="ChaosDatabase.InjectAsync"/>. Faults strike the
/// connections of one application name (the database's own unless given), so they hit the code under test
/// and not the test's own checks. Faults of the harness's matrix that need its built-in workload's
/// cooperation (a hook inside its transactions, its load) are not offered: <see cref="Named"/> says why.
/// </summary>
public sealed class Fault
{
    private const string ResetToxic = "reset-mid-transaction";
    private static readonly TimeSpan s_poll = TimeSpan.FromMilliseconds(5);

    /// <summary>The longest a mid-transaction reset waits for the transaction it is to strike, or for that transaction to end.</summary>
    public static readonly TimeSpan TransactionWait = TimeSpan.FromSeconds(10);

    private Fault(string name, string description, INemesis nemesis, string? applicationName)
    {
        Name = name;
        Description = description;
        Nemesis = nemesis;
        ApplicationName = applicationName;
    }

    /// <summary>The fault's kebab-case name, as the harness's matrix and the <c>chaos</c> CLI call it.</summary>
    public string Name { get; }

    /// <summary>One line: the production failure this is.</summary>
    public string Description { get; }

    /// <summary>The application name whose connections it strikes; null: the database's <see cref="ChaosDatabase.ApplicationName"/>.</summary>
    public string? ApplicationName { get; }

    internal INemesis Nemesis { get; }

    /// <summary>
    /// A load balancer cuts the TCP connection of an open transaction: the proxy drops the next statement sent
    /// through it (typically the COMMIT) and closes that connection, so the code reads end-of-stream
    /// mid-transaction (Npgsql: <c>NpgsqlException</c>, <c>IsTransient</c>) and the server rolls the transaction back.
    /// <para>
    /// It strikes at once: call it as a hook from inside the transaction, after its writes (an EF Core
    /// interceptor's TransactionCommitting, a callback in your repository); <see cref="TcpResetAtNextTransaction"/>
    /// waits for the transaction instead. The reset stays armed until the application's transactions that were
    /// open when it struck are over, then heals itself; meanwhile any connection that sends through the proxy is reset.
    /// </para>
    /// </summary>
    /// <param name="applicationName">Whose open transaction is struck (for the self-heal); null: the database's <see cref="ChaosDatabase.ApplicationName"/>.</param>
    public static Fault TcpResetMidTransaction(string? applicationName = null) => ResetMidTransaction(applicationName, awaitTransaction: false);

    /// <summary>
    /// <see cref="TcpResetMidTransaction"/> without a hook: waits (up to <see cref="TransactionWait"/>) until a backend
    /// of <paramref name="applicationName"/> is idle inside an open transaction (between two statements: a slow
    /// call inside the transaction), then cuts it. Start the injection before the code under test runs, and await it.
    /// </summary>
    /// <param name="applicationName">The application whose next open transaction is struck.</param>
    public static Fault TcpResetAtNextTransaction(string applicationName) =>
        ResetMidTransaction(string.IsNullOrWhiteSpace(applicationName) ? throw new ArgumentException("must not be empty", nameof(applicationName)) : applicationName, awaitTransaction: true);

    private static Fault ResetMidTransaction(string? applicationName, bool awaitTransaction) => new(
        "tcp-reset-mid-transaction",
        "The connection of an open transaction is cut: the next statement is dropped and the connection closed.",
        global::Chaos.Harness.Scenarios.Nemesis.Of(Capability.Toxics, async (target, ct) =>
        {
            var victims = awaitTransaction
                ? await AwaitOpenTransactionAsync(target, ct)
                : OpenTransactions(await target.Server.GetActivityAsync(ct), target.ApplicationName);
            await target.AddToxicAsync(ToxicSpec.ResetPeer(0, ToxicStream.Upstream) with { Name = ResetToxic }, ct);
            return new Injection(
                victims.Count == 0
                    ? "reset armed with no open transaction of the application: the next statement through the proxy is reset"
                    : $"reset armed under the open transaction of backend {string.Join(", ", victims)}",
                "reset_peer removed",
                heal => RemoveToxicAsync(target, heal))
            {
                HealsWhen = victims.Count == 0 ? null : watch => TransactionsOverAsync(target, victims, watch),
            };
        }),
        applicationName);

    /// <summary>
    /// An operator or a provider's housekeeping runs pg_terminate_backend on every idle backend of the
    /// application: pooled connections are dead without knowing it, and the next command on one fails with
    /// 57P01 (admin shutdown). Nothing to heal; <see cref="InjectedFault.Detail"/> says how many were terminated.
    /// </summary>
    /// <param name="applicationName">Whose idle backends; null: the database's <see cref="ChaosDatabase.ApplicationName"/>.</param>
    public static Fault IdleBackendsKilled(string? applicationName = null) => Named("idle-backends-killed", applicationName);

    /// <summary>
    /// A fast restart of the server (pg_ctl -m fast, as in a minor-version upgrade): every session ends with
    /// 57P01, connections are refused for a moment, then the server accepts them again on the same port.
    /// <see cref="ChaosDatabase.InjectAsync"/> returns once the server is back; pooled connections are still dead.
    /// </summary>
    public static Fault ServerRestart() => new(
        "server-restart",
        "Fast restart: every session gets 57P01, the server is down for a moment, then healthy.",
        global::Chaos.Harness.Scenarios.Nemesis.Of(Capability.ProcessControl, async (target, ct) =>
        {
            await target.Require<IProcessControl>().RestartAsync(StopMode.Fast, ct);
            return new Injection("fast restart: every session ended with 57P01", "server accepting connections again");
        }),
        applicationName: null);

    /// <summary>The names <see cref="Named"/> takes: the matrix's faults that strike whatever connections the code holds.</summary>
    public static IReadOnlyList<string> Names { get; } =
        [.. FaultCatalog.All.Where(f => OwnFactory(f) || Standalone(f) is not null).Select(f => f.Name)];

    /// <summary>
    /// A fault of the harness's matrix by name (see <see cref="Names"/>, or <c>chaos list</c>): its strike, without
    /// the workload the matrix runs around it. Heal it with <see cref="InjectedFault.HealAsync"/>.
    /// </summary>
    /// <param name="name">For example "latency-spike", "data-cut", "scale-to-zero".</param>
    /// <param name="applicationName">Whose connections, for faults that select backends; null: the database's own.</param>
    /// <exception cref="ArgumentException">An unknown name, or a fault that needs the built-in workload (the message says why).</exception>
    public static Fault Named(string name, string? applicationName = null)
    {
        IFault fault;
        try { fault = FaultCatalog.Get(name); }
        catch (UsageException e) { throw new ArgumentException(e.Message, nameof(name), e); }
        if (name.Trim() == "tcp-reset-mid-transaction") return TcpResetMidTransaction(applicationName);
        if (name.Trim() == "server-restart") return ServerRestart();
        var nemesis = Standalone(fault) ?? throw new ArgumentException(
            $"{fault.Name} needs the harness's built-in workload (it strikes at a hook inside the workload's transactions, or is the workload's own load or settings); " +
            $"faults that strike any connection: {string.Join(", ", Names)}", nameof(name));
        return new Fault(fault.Name, fault.Description, nemesis, applicationName);
    }

    // Strike at a hook in the matrix, so they have factories of their own here that need no workload.
    private static bool OwnFactory(IFault fault) => fault.Name is "tcp-reset-mid-transaction" or "server-restart";

    // The first strike of the fault's scenario, when it needs nothing of the workload: an Inject (not a hook) that acts.
    private static INemesis? Standalone(IFault fault) =>
        fault.Scenario.Steps.FirstOrDefault(s => s is Inject or InjectAtHook) is Inject { Nemesis: var n } && !global::Chaos.Harness.Scenarios.Nemesis.IsMark(n) ? n : null;

    private static List<int> OpenTransactions(ActivitySnapshot activity, string applicationName) =>
        [.. activity.Backends.Where(b => b.ApplicationName == applicationName && b.State.StartsWith("idle in transaction", StringComparison.Ordinal)).Select(b => b.Pid)];

    private static async Task<List<int>> AwaitOpenTransactionAsync(FaultTarget target, CancellationToken ct)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bound.CancelAfter(TransactionWait);
        try
        {
            while (true)
            {
                if (OpenTransactions(await target.Server.GetActivityAsync(bound.Token), target.ApplicationName) is { Count: > 0 } open) return open;
                await Task.Delay(s_poll, bound.Token);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"no backend of application '{target.ApplicationName}' was idle in an open transaction within {TransactionWait.TotalSeconds:0} s, so nothing was struck");
        }
    }

    // The struck transactions are over when their backends are gone or out of the transaction (PgBouncer keeps its server connection and rolls back).
    private static async Task TransactionsOverAsync(FaultTarget target, List<int> victims, CancellationToken ct)
    {
        while (true)
        {
            var activity = await target.Server.GetActivityAsync(ct);
            if (!activity.Backends.Any(b => victims.Contains(b.Pid) && b.State.StartsWith("idle in transaction", StringComparison.Ordinal))) return;
            await Task.Delay(s_poll * 4, ct);
        }
    }

    private static async Task RemoveToxicAsync(FaultTarget target, CancellationToken ct)
    {
        try { await target.Proxy.Client.RemoveToxicAsync(target.Proxy.Name, ResetToxic, ct); }
        catch (ToxiproxyException e) when (e.Status == 404) { /* removed already (by ClearAsync, or a second heal) */ }
    }
}
