using Chaos.Harness.Drivers.EfCore;
using Chaos.Harness.Drivers.Npgsql;
using Chaos.Harness.History;
using Chaos.Harness.Profiles;
using Chaos.Harness.Workload;

namespace Chaos.Harness.Drivers;

/// <summary>The one place a profile's driver is chosen: EF Core when the profile says so, plain Npgsql otherwise.</summary>
internal static class AppDrivers
{
    /// <param name="connectionStrings">One per app instance: each gets its own pool.</param>
    /// <param name="readConnectionStrings">For a profile whose reads have a data source of their own, one per app instance.</param>
    public static IAppDriver For(Profile profile, IReadOnlyList<string> connectionStrings, IReadOnlyList<string>? readConnectionStrings, HistoryRecorder history) =>
        profile.EfCore is { } ef
            ? new EfCoreDriver(profile, ef, connectionStrings, history)
            : new NpgsqlDriver(profile, connectionStrings, readConnectionStrings, history);
}
