using Chaos.Harness.Workload;

namespace Chaos.Harness.Profiles.Policies;

/// <summary>
/// The fix users apply by hand after a switchover left pooled connections on a demoted, read-only server
/// (npgsql#5807): when a request fails with 25006 (read-only transaction), clear the pool and run the
/// request once more on a fresh connection. It retries nothing else.
/// </summary>
internal sealed class ReadOnlyClearsPool : IRetryPolicy
{
    public string Name => "read-only-clears-pool";
    public bool Retries => false;
    public bool ResolvesUnknownCommits => false;
    public bool ClearsPoolOnReadOnly => true;

    public async Task ExecuteAsync(Request request, Func<CancellationToken, Task> attempt, IRetryContext context, CancellationToken ct)
    {
        try
        {
            await attempt(ct);
        }
        catch (Exception e) when (OutcomeClassifier.SqlState(e) == "25006" && request.Stage != Stage.Committing)
        {
            context.ClearPool(request.Instance);
            context.Note("retry", $"op {request.Id}: 25006 read-only transaction: pool cleared, one more attempt", "25006");
            await attempt(ct);
        }
    }
}
