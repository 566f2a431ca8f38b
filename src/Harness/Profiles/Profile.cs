using Npgsql;

namespace Chaos.Harness.Profiles;

/// <summary>Where the application's connections go.</summary>
public enum Route
{
    /// <summary>Application -> fault proxy -> PostgreSQL.</summary>
    Direct,

    /// <summary>Application -> fault proxy -> PgBouncer (transaction mode) -> PostgreSQL.</summary>
    PgBouncer,
}

/// <summary>What the application does when a request fails.</summary>
public enum RetryKind
{
    None,

    /// <summary>Retries any transient error with backoff, including an error during COMMIT: may apply a write twice.</summary>
    Naive,

    /// <summary>Retries the whole transaction, but first resolves an unknown COMMIT with txid_status().</summary>
    Idempotent,
}

/// <summary>
/// How the application connects: Npgsql connection-string settings plus client-side policy.
/// One profile, one declaration (see <see cref="ProfileCatalog"/>).
/// </summary>
/// <param name="Name">Kebab-case name used in reports and on the command line.</param>
/// <param name="Answers">The SQLAlchemy setting (or folklore) this profile is the Npgsql translation of.</param>
/// <param name="Description">One line for `chaos list`.</param>
/// <param name="Settings">Connection-string keywords layered over the harness's host, port and credentials.</param>
public sealed record Profile(
    string Name,
    string Answers,
    string Description,
    IReadOnlyDictionary<string, string> Settings,
    Route Route = Route.Direct,
    bool ValidateOnCheckout = false,
    RetryKind Retry = RetryKind.None)
{
    /// <summary>
    /// A background health check: every half second it rents one connection and runs SELECT 1, as a
    /// readiness probe or a hosted "database heartbeat" does (claim 8).
    /// </summary>
    public bool BackgroundHealthCheck { get; init; }

    /// <summary>Keywords the harness owns: it points them at the cluster, the proxy and its roles.</summary>
    internal static readonly string[] ReservedKeywords = ["Host", "Port", "Username", "Password", "Database", "Application Name"];

    /// <summary>The settings as a connection string, for reports and `chaos list`.</summary>
    public string SettingsText => Settings.Count == 0
        ? "(Npgsql defaults)"
        : string.Join(";", Settings.Select(kv => $"{kv.Key}={kv.Value}"));

    /// <summary>The application's connection string: <paramref name="endpoint"/> plus this profile's settings.</summary>
    internal string ConnectionString(string endpoint, string applicationName)
    {
        var builder = new NpgsqlConnectionStringBuilder(endpoint);
        foreach (var (key, value) in Settings)
        {
            builder[key] = value;
        }
        builder.ApplicationName = applicationName;
        return builder.ConnectionString;
    }
}
