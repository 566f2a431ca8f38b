using Npgsql;
using static Chaos.Harness.Timing;

namespace Chaos.Harness.Profiles;

/// <summary>Every profile the matrix runs, one declaration each, in report order.</summary>
public static class ProfileCatalog
{
    public static readonly Profile NpgsqlDefaults = new(
        "npgsql-defaults", "create_engine() with no pool options",
        "Npgsql's defaults: pool of 100, no validation, 15 s connect and 30 s command timeouts.",
        Settings());

    public static readonly Profile ValidateOnCheckout = new(
        "validate-on-checkout", "pool_pre_ping=True",
        "Runs SELECT 1 on every rent; on failure rents once more on a fresh connection.",
        Settings(), ValidateOnCheckout: true);

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
        Settings(("Pooling", "false"), ("Max Auto Prepare", "0")), Route.PgBouncer);

    public static readonly Profile PooledViaPgBouncer = new(
        "pooled-via-pgbouncer", "QueuePool behind PgBouncer",
        "Npgsql's pool through PgBouncer in transaction mode, No Reset On Close, no auto-prepare.",
        Settings(("No Reset On Close", "true"), ("Max Auto Prepare", "0")), Route.PgBouncer);

    public static readonly Profile Retry = new(
        "retry", "a retry decorator around every request",
        "Polly: retries transient errors 3 times with backoff, including an error during COMMIT.",
        Settings(), Retry: RetryKind.Naive);

    public static readonly Profile RetryIdempotent = new(
        "retry-idempotent", "retrying the whole transaction, idempotently",
        "Retries the whole transaction; an unknown COMMIT is resolved with txid_status() first.",
        Settings(), Retry: RetryKind.Idempotent);

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
            ("Cancellation Timeout", "1000")),
        ValidateOnCheckout: true, Retry: RetryKind.Idempotent);

    public static IReadOnlyList<Profile> All { get; } =
    [
        NpgsqlDefaults, ValidateOnCheckout, Keepalive, TcpKeepalive, Recycle, IdleLifetime, Bounded,
        NoPooling, NoPoolingViaPgBouncer, PooledViaPgBouncer, Retry, RetryIdempotent, CommandTimeout, Resilient,
    ];

    /// <summary>Looks profiles up by name; an unknown name is a <see cref="UsageException"/> listing the known ones.</summary>
    public static IReadOnlyList<Profile> Select(IEnumerable<string> names) =>
        names.Select(name => All.FirstOrDefault(p => p.Name == name.Trim())
            ?? throw new UsageException($"unknown profile '{name.Trim()}'; known profiles: {string.Join(", ", All.Select(p => p.Name))}"))
        .ToList();

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
        // Npgsql validates cross-field constraints (e.g. pruning interval vs idle lifetime) only when a data source is built.
        try
        {
            using var probe = new NpgsqlDataSourceBuilder(builder.ConnectionString + ";Host=127.0.0.1").Build();
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"profile '{name}': invalid Npgsql settings '{settings}': {e.Message}");
        }
        return new Profile(name, "your own settings", $"Custom: {settings}", pairs);
    }

    private static IReadOnlyDictionary<string, string> Settings(params (string Key, string Value)[] pairs) =>
        pairs.ToDictionary(p => p.Key, p => p.Value, StringComparer.OrdinalIgnoreCase);
}
