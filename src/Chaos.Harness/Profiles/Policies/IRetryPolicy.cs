using Chaos.Harness.Workload;

namespace Chaos.Harness.Profiles.Policies;

/// <summary>
/// What the application does when a request fails: a profile's retry strategy. It runs <c>attempt</c>
/// once or more and throws what the application would finally see.
/// </summary>
internal interface IRetryPolicy
{
    /// <summary>One word for `chaos list` and repro: "none", "transient", "idempotent".</summary>
    string Name { get; }

    /// <summary>True when this policy may run a request again.</summary>
    bool Retries { get; }

    /// <summary>True when a retry never runs a transaction whose COMMIT may have happened.</summary>
    bool ResolvesUnknownCommits { get; }

    /// <summary>True when a read-only error (25006) makes the application clear its pool before trying again.</summary>
    bool ClearsPoolOnReadOnly => false;

    Task ExecuteAsync(Request request, Func<CancellationToken, Task> attempt, IRetryContext context, CancellationToken ct);
}

/// <summary>What a retry policy may ask of the driver it runs in.</summary>
internal interface IRetryContext
{
    /// <summary>
    /// What became of the request's COMMIT that broke: "committed", "aborted", or null when it could not be
    /// settled in time. It waits while txid_status() says the transaction is still in progress, then looks for
    /// the write's own rows: after a crash, txid_status() alone can report a transaction id that recovery
    /// handed out again as someone else's commit.
    /// </summary>
    Task<string?> ResolveCommitAsync(Request request, CancellationToken ct);

    void Note(string kind, string detail, string? sqlState = null);

    /// <summary>Closes every idle connection of the request's instance's pool, so the next rents open fresh ones.</summary>
    void ClearPool(int instance);
}

/// <summary>The retry policies the built-in profiles use.</summary>
internal static class RetryPolicies
{
    public static IRetryPolicy None { get; } = new NoRetry();

    /// <summary>Polly: retries what Npgsql calls transient, including an error during COMMIT.</summary>
    public static IRetryPolicy Transient { get; } = new TransientRetry();

    /// <summary>Retries the whole transaction, but resolves an unknown COMMIT with txid_status() first.</summary>
    public static IRetryPolicy Idempotent { get; } = new IdempotentRetry();

    /// <summary>What users add by hand after a switchover: on 25006, clear the pool and run the request once more.</summary>
    public static IRetryPolicy ClearPoolOnReadOnly { get; } = new ReadOnlyClearsPool();
}
