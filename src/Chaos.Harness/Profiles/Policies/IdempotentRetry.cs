using Chaos.Harness.Workload;
using Polly;

namespace Chaos.Harness.Profiles.Policies;

/// <summary>
/// Retries the whole transaction, and first asks the server what became of a COMMIT that broke (its
/// transaction no longer in progress, then the write's own rows, an idempotency key): committed means
/// done, aborted means safe to run again, unsettled means never run it again.
/// </summary>
internal sealed class IdempotentRetry : IRetryPolicy
{
    public string Name => "idempotent";
    public bool Retries => true;
    public bool ResolvesUnknownCommits => true;

    public Task ExecuteAsync(Request request, Func<CancellationToken, Task> attempt, IRetryContext context, CancellationToken ct) =>
        RetryBackoff.Pipeline(e => e is CommitAbortedException || e is not CommitUnknownException && OutcomeClassifier.IsRetryable(e), context)
            .ExecuteAsync(async t =>
            {
                try
                {
                    await attempt(t);
                }
                catch (Exception e) when (request.Stage == Stage.Committing && request.Txid is { } txid && e is not OperationCanceledException)
                {
                    var status = await context.ResolveCommitAsync(request, t);
                    context.Note("note", $"op {request.Id}: unknown COMMIT of txid {txid} resolved as {status ?? "unresolved"}");
                    switch (status)
                    {
                        case "committed":
                            return;
                        case "aborted":
                            throw new CommitAbortedException(e);
                        default:
                            throw new CommitUnknownException(e);
                    }
                }
            }, ct).AsTask();

    /// <summary>A COMMIT whose outcome was unknown, resolved as aborted: safe to run the transaction again.</summary>
    private sealed class CommitAbortedException(Exception inner) : Exception("COMMIT resolved as aborted", inner);

    /// <summary>A COMMIT whose outcome txid_status() could not settle in time: never retried, reported as unknown.</summary>
    private sealed class CommitUnknownException(Exception inner) : Exception("COMMIT outcome could not be resolved", inner);
}
