using Chaos.Harness.Environments;
using Chaos.Harness.Profiles;

namespace Chaos.Harness.Matrix;

/// <summary>The environment each cell starts from, before its fault adds what it needs.</summary>
internal static class CellEnvironments
{
    /// <summary>PgBouncer in transaction mode in front of the server when the profile routes through one.</summary>
    public static EnvironmentSpec For(Profile profile) =>
        new() { Pooler = profile.Route == Route.PgBouncer ? EnvironmentSpec.TransactionPooler : null };
}
