using Chaos.Harness.Profiles.Policies;
using Npgsql;
using static Chaos.Harness.Timing;

namespace Chaos.Harness.Profiles;

/// <summary>Every profile the matrix runs, one declaration each, in report order.</summary>
internal static class ProfileCatalog
{
    public static readonly Profile NpgsqlDefaults = new(
        "npgsql-defaults", "create_engine() with no pool options",
        "Npgsql's defaults: pool of 100, no validation, 15 s connect and 30 s command timeouts.",
        Settings());

    public static readonly Profile ValidateOnCheckout = new(
        "validate-on-checkout", "pool_pre_ping=True",
        "Runs SELECT 1 on every rent; on failure clears the pool and rents again until a ping answers.",
        Settings()) { Checkout = CheckoutPolicies.Validate };

    public static readonly Profile Keepalive = new(
        "keepalive", "pool_pre_ping, done in the background",
        $"Npgsql Keepalive: a query on every idle connection each {KeepaliveSeconds} s.",
        Settings(("Keepalive", $"{KeepaliveSeconds}")));

    public static readonly Profile TcpKeepalive = new(
        "tcp-keepalive", "connect_args keepalives",
        $"TCP keepalive probes after {TcpKeepaliveSeconds} s idle, every {TcpKeepaliveSeconds} s.",
        Settings(("Tcp Keepalive", "true"), ("Tcp Keepalive Time", $"{TcpKeepaliveSeconds}"), ("Tcp Keepalive Interval", $"{TcpKeepaliveSeconds}")));

    public static readonly Profile Recycle = new(
        "recycle", "pool_recycle",
        $"Connection Lifetime={RecycleSeconds}: connections older than that are closed instead of reused.",
        Settings(("Connection Lifetime", $"{RecycleSeconds}")));

    public static readonly Profile IdleLifetime = new(
        "idle-lifetime", "pool idle eviction",
        $"Connection Idle Lifetime={IdleLifetimeSeconds}, pruned every second: idle connections are closed.",
        Settings(("Connection Idle Lifetime", $"{IdleLifetimeSeconds}"), ("Connection Pruning Interval", "1")));

    public static readonly Profile Bounded = new(
        "bounded", "pool_size=20, max_overflow=0, pool_timeout",
        $"Maximum Pool Size=20 and a {CheckoutTimeoutSeconds} s checkout Timeout: fails fast under overload.",
        Settings(("Maximum Pool Size", "20"), ("Timeout", $"{CheckoutTimeoutSeconds}")));

    public static readonly Profile NoPooling = new(
        "no-pooling", "NullPool",
        "Pooling=false: a new server connection for every request.",
        Settings(("Pooling", "false")));

    public static readonly Profile NoPoolingViaPgBouncer = new(
        "no-pooling-via-pgbouncer", "NullPool behind PgBouncer",
        "Pooling=false, through PgBouncer in transaction mode.",
        Settings(("Pooling", "false"), ("Max Auto Prepare", "0"))) { Route = Route.PgBouncer };

    public static readonly Profile PooledViaPgBouncer = new(
        "pooled-via-pgbouncer", "QueuePool behind PgBouncer",
        "Npgsql's pool through PgBouncer in transaction mode, No Reset On Close, no auto-prepare.",
        Settings(("No Reset On Close", "true"), ("Max Auto Prepare", "0"))) { Route = Route.PgBouncer };

    public static readonly Profile Retry = new(
        "retry", "a retry decorator around every request",
        "Polly: retries transient errors 3 times with backoff, including an error during COMMIT.",
        Settings()) { Retry = RetryPolicies.Transient };

    public static readonly Profile RetryIdempotent = new(
        "retry-idempotent", "retrying the whole transaction, idempotently",
        "Retries the whole transaction; an unknown COMMIT is resolved first (txid_status() until it is settled, then the write's own rows).",
        Settings()) { Retry = RetryPolicies.Idempotent };

    public static readonly Profile CommandTimeout = new(
        "command-timeout", "statement timeout / connect_timeout",
        $"Command Timeout={CommandTimeoutSeconds}, Timeout={CommandTimeoutSeconds}, Cancellation Timeout=1000 ms.",
        Settings(("Command Timeout", $"{CommandTimeoutSeconds}"), ("Timeout", $"{CommandTimeoutSeconds}"), ("Cancellation Timeout", "1000")));

    /// <summary>The combination the matrix shows survives the most: see README's matrix for the evidence.</summary>
    public static readonly Profile Resilient = new(
        "resilient", "pre_ping + pool_recycle + timeouts + idempotent retry",
        "Keepalive, Connection Lifetime, command and connect timeouts, and idempotent whole-transaction retry.",
        Settings(
            ("Keepalive", $"{KeepaliveSeconds}"),
            ("Connection Lifetime", $"{RecycleSeconds}"),
            ("Command Timeout", $"{CommandTimeoutSeconds}"),
            ("Timeout", $"{CommandTimeoutSeconds}"),
            ("Cancellation Timeout", "1000")))
        { Checkout = CheckoutPolicies.Validate, Retry = RetryPolicies.Idempotent };

    public static readonly Profile EfCoreDefaults = new(
        "efcore-defaults", "EF Core with no execution strategy",
        "A DbContext per request on Npgsql.EntityFrameworkCore.PostgreSQL, Npgsql's pool defaults, no retrying strategy.",
        Settings()) { EfCore = new EfCoreUsage() };

    public static readonly Profile EfCoreRetryOnFailure = new(
        "efcore-retry-on-failure", "EnableRetryOnFailure()",
        "EF Core's retrying execution strategy (6 retries, delays scaled), writes in strategy.ExecuteAsync + BeginTransaction as EF's docs show.",
        Settings()) { EfCore = new EfCoreUsage(EfCoreRetry.OnFailure) };

    public static readonly Profile EfCoreRetryVerified = new(
        "efcore-retry-verified", "ExecuteInTransactionAsync(..., verifySucceeded)",
        "EF Core's retrying strategy; writes in ExecuteInTransactionAsync whose verifySucceeded looks for the write's rows.",
        Settings()) { EfCore = new EfCoreUsage(EfCoreRetry.Verified) };

    public static readonly Profile EfCorePooled = new(
        "efcore-pooled", "AddDbContextPool",
        "Pooled DbContexts (reset and reused per request), no retrying strategy.",
        Settings()) { EfCore = new EfCoreUsage(PooledContext: true) };

    public static readonly Profile EfCoreResilient = new(
        "efcore-resilient", "EF Core with keepalive, timeouts and a verified retry",
        "Keepalive, Command Timeout and connect Timeout on the data source, ExecuteInTransactionAsync with verifySucceeded.",
        Settings(
            ("Keepalive", $"{KeepaliveSeconds}"),
            ("Command Timeout", $"{CommandTimeoutSeconds}"),
            ("Timeout", $"{CommandTimeoutSeconds}"),
            ("Cancellation Timeout", "1000")))
        { EfCore = new EfCoreUsage(EfCoreRetry.Verified) };

    public static readonly Profile MultiHost = new(
        "multihost", "a multi-host connection string",
        "Host=primary,standby;Target Session Attributes=primary: Npgsql checks each new connection and takes the primary.",
        Settings(("Target Session Attributes", "primary"))) { MultiHost = true };

    public static readonly Profile MultiHostRecheck = new(
        "multihost-recheck", "a multi-host connection string that rechecks its hosts",
        $"multihost with Host Recheck Seconds={HostRecheckSeconds}: what Npgsql learnt of a host is trusted for a second, not ten.",
        Settings(("Target Session Attributes", "primary"), ("Host Recheck Seconds", $"{HostRecheckSeconds}"))) { MultiHost = true };

    public static readonly Profile MultiHostRetry = new(
        "multihost-retry", "a multi-host connection string with a whole-transaction retry",
        "multihost plus the idempotent whole-transaction retry (which does not retry 'No suitable host was found').",
        Settings(("Target Session Attributes", "primary"))) { MultiHost = true, Retry = RetryPolicies.Idempotent };

    public static readonly Profile MultiHostReadStandby = new(
        "multihost-read-standby", "a read replica data source",
        "Writes: Target Session Attributes=primary; reads: a second data source with prefer-standby.",
        Settings(("Target Session Attributes", "primary"))) { MultiHost = true, ReadsFromStandby = true };

    public static readonly Profile ReadOnlyClearsPool = new(
        "read-only-clears-pool", "catching 25006 and clearing the pool by hand",
        "The writer endpoint; on 25006 (read-only transaction) the pool is cleared and the request runs once more.",
        Settings()) { Retry = RetryPolicies.ClearPoolOnReadOnly };

    public static IReadOnlyList<Profile> All { get; } =
    [
        NpgsqlDefaults, ValidateOnCheckout, Keepalive, TcpKeepalive, Recycle, IdleLifetime, Bounded,
        NoPooling, NoPoolingViaPgBouncer, PooledViaPgBouncer, Retry, RetryIdempotent, CommandTimeout, Resilient,
        EfCoreDefaults, EfCoreRetryOnFailure, EfCoreRetryVerified, EfCorePooled, EfCoreResilient,
        MultiHost, MultiHostRecheck, MultiHostRetry, MultiHostReadStandby, ReadOnlyClearsPool,
    ];

    /// <summary>Looks profiles up by name; an unknown name is a <see cref="UsageException"/> listing the known ones.</summary>
    public static IReadOnlyList<Profile> Select(IEnumerable<string> names) =>
        names.Select(name => All.FirstOrDefault(p => p.Name == name.Trim())
            ?? throw new UsageException($"unknown profile '{name.Trim()}'; known profiles: {string.Join(", ", All.Select(p => p.Name))}"))
        .ToList();

    /// <summary>The longest profile name: it becomes part of report file entries and proxy names.</summary>
    public const int MaxNameLength = 64;

    /// <summary>The largest Maximum Pool Size a profile of the user's own may ask for.</summary>
    public const int MaxPoolSize = 10_000;

    /// <summary>
    /// A profile from the user's own Npgsql settings (`--profile NAME="Maximum Pool Size=5;Keepalive=10"`).
    /// Every keyword and value is checked by Npgsql itself so that a typo is one clear message.
    /// </summary>
    public static Profile Custom(string name, string settings)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
        {
            throw new UsageException($"profile name '{name}' must be letters, digits, '-' or '_'");
        }
        if (name.Length > MaxNameLength)
        {
            throw new UsageException($"profile name '{name[..20]}...' has {name.Length} characters; give at most {MaxNameLength}");
        }
        var builder = new NpgsqlConnectionStringBuilder();
        try
        {
            builder.ConnectionString = settings;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException or OverflowException)
        {
            throw new UsageException($"profile '{name}': invalid Npgsql settings '{settings}': {e.Message}");
        }
        var pairs = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var key in builder.Keys)
        {
            if (Profile.ReservedKeywords.Contains(key, StringComparer.OrdinalIgnoreCase))
            {
                throw new UsageException($"profile '{name}': '{key}' is set by the harness; give pool and timeout settings only");
            }
            pairs[key] = Convert.ToString(builder[key], System.Globalization.CultureInfo.InvariantCulture) ?? "";
        }
        // Npgsql allocates a slot per possible connection up front: a huge pool is an out-of-memory crash.
        if (builder.MaxPoolSize > MaxPoolSize)
        {
            throw new UsageException($"profile '{name}': Maximum Pool Size={builder.MaxPoolSize} is more than the harness runs; give at most {MaxPoolSize}");
        }
        // Npgsql validates cross-field constraints (e.g. pruning interval vs idle lifetime) only when a data source is built,
        // and refuses some settings only then (Target Session Attributes needs several hosts): build one the way the driver does.
        try
        {
            using var probe = NpgsqlDataSource.Create(builder.ConnectionString + ";Host=127.0.0.1");
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or InvalidOperationException or FormatException)
        {
            throw new UsageException($"profile '{name}': the harness cannot run '{settings}': {e.Message}");
        }
        return new Profile(name, "your own settings", $"Custom: {settings}", pairs);
    }

    private static IReadOnlyDictionary<string, string> Settings(params (string Key, string Value)[] pairs) =>
        pairs.ToDictionary(p => p.Key, p => p.Value, StringComparer.OrdinalIgnoreCase);
}
