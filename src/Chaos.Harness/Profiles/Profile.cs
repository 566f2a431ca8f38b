using Chaos.Harness.Profiles.Policies;
using Npgsql;

namespace Chaos.Harness.Profiles;

/// <summary>Where the application's connections go.</summary>
internal enum Route
{
    /// <summary>Application -> network path -> PostgreSQL.</summary>
    Direct,

    /// <summary>Application -> network path -> PgBouncer (transaction mode) -> PostgreSQL.</summary>
    PgBouncer,
}

/// <summary>
/// How the application connects: Npgsql connection-string settings plus client-side policy (checkout and
/// retry strategies). One profile, one declaration (see <see cref="ProfileCatalog"/>).
/// </summary>
/// <param name="Name">Kebab-case name used in reports and on the command line.</param>
/// <param name="Answers">The SQLAlchemy setting (or folklore) this profile is the Npgsql translation of.</param>
/// <param name="Description">One line for `chaos list`.</param>
/// <param name="Settings">Connection-string keywords layered over the harness's host, port and credentials.</param>
internal sealed record Profile(
    string Name,
    string Answers,
    string Description,
    IReadOnlyDictionary<string, string> Settings)
{
    public Route Route { get; init; } = Route.Direct;

    /// <summary>How a connection is taken from the pool.</summary>
    public ICheckoutPolicy Checkout { get; init; } = CheckoutPolicies.Plain;

    /// <summary>What happens when a request fails.</summary>
    public IRetryPolicy Retry { get; init; } = RetryPolicies.None;

    /// <summary>
    /// The application finds the primary itself: a multi-host connection string naming the primary and the
    /// standby (with the profile's Target Session Attributes), instead of the one writer endpoint.
    /// </summary>
    public bool MultiHost { get; init; }

    /// <summary>Reads go to a second data source that prefers the standby (Target Session Attributes=prefer-standby).</summary>
    public bool ReadsFromStandby { get; init; }

    /// <summary>What the environment must have for this profile: a multi-host profile needs a primary and a standby.</summary>
    public Capability Needs => MultiHost || ReadsFromStandby ? Capability.Replication : Capability.None;

    /// <summary>Set when the application reaches the database through EF Core instead of plain Npgsql.</summary>
    public EfCoreUsage? EfCore { get; init; }

    /// <summary>
    /// A background health check beside the requests (claim 8): none, the hand-written loop that rents one
    /// connection every half second, or ASP.NET Core's (AspNetCore.HealthChecks.NpgSql) run by its hosted publisher every second.
    /// </summary>
    public HealthCheck HealthCheck { get; init; } = HealthCheck.None;

    /// <summary>What the profile does, read off its settings and policies: what expectation rules key on.</summary>
    public ProfileTraits Traits => new(this);

    /// <summary>Keywords the harness owns: it points them at the server, the network path and its roles.</summary>
    internal static readonly string[] ReservedKeywords = ["Host", "Port", "Username", "Password", "Database", "Application Name"];

    /// <summary>The settings as a connection string, for reports and `chaos list`.</summary>
    public string SettingsText => Settings.Count == 0
        ? "(Npgsql defaults)"
        : string.Join(";", Settings.Select(kv => $"{kv.Key}={kv.Value}"));

    /// <summary>The policies as text, for `chaos list` and repro: "" when both are plain.</summary>
    public string PolicyText =>
        (Checkout.Validates ? " + validate on checkout" : "")
        + (Retry.Retries ? $" + {Retry.Name} retry" : "")
        + (EfCore is { } ef ? $" + EF Core ({ef.Retry} strategy{(ef.PooledContext ? ", pooled contexts" : "")})" : "")
        + (HealthCheck != HealthCheck.None ? $" + {HealthCheck} health check" : "");

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
