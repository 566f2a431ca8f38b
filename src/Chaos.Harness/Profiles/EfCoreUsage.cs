namespace Chaos.Harness.Profiles;

/// <summary>How an EF Core application retries, in the three ways EF Core offers.</summary>
internal enum EfCoreRetry
{
    /// <summary>No execution strategy: EF Core's default.</summary>
    None,

    /// <summary><c>EnableRetryOnFailure()</c>: SaveChanges runs again on a transient error, whatever became of the COMMIT.</summary>
    OnFailure,

    /// <summary><c>ExecuteInTransactionAsync(..., verifySucceeded)</c>: after an error during COMMIT, ask the database before running it again.</summary>
    Verified,
}

/// <summary>
/// A profile whose application reaches the database through EF Core (a <c>DbContext</c> on
/// Npgsql.EntityFrameworkCore.PostgreSQL) rather than plain Npgsql.
/// </summary>
/// <param name="Retry">The execution strategy.</param>
/// <param name="PooledContext">DbContext pooling (<c>AddDbContextPool</c>): contexts are reset and reused instead of created per request.</param>
internal sealed record EfCoreUsage(EfCoreRetry Retry = EfCoreRetry.None, bool PooledContext = false);
