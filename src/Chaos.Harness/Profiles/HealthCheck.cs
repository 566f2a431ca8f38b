namespace Chaos.Harness.Profiles;

/// <summary>A health check running beside the application's requests, on the same pool (claim 8).</summary>
internal enum HealthCheck
{
    None,

    /// <summary>A loop that rents one connection every half second and runs SELECT 1.</summary>
    Loop,

    /// <summary>
    /// AspNetCore.HealthChecks.NpgSql on the application's data source, run by ASP.NET Core's health-check
    /// publisher (a hosted service) every second, the shortest period it accepts: what .NET teams deploy.
    /// </summary>
    AspNetCore,
}
