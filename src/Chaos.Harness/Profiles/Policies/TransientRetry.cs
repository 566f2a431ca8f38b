using Chaos.Harness.Workload;
using Polly;

namespace Chaos.Harness.Profiles.Policies;

/// <summary>
/// The retry decorator a service typically has: Polly on <see cref="Npgsql.NpgsqlException.IsTransient"/>.
/// It cannot tell a COMMIT that failed from one whose answer was lost, so it may apply a write twice.
/// </summary>
internal sealed class TransientRetry : IRetryPolicy
{
    public string Name => "transient";
    public bool Retries => true;
    public bool ResolvesUnknownCommits => false;

    public Task ExecuteAsync(Request request, Func<CancellationToken, Task> attempt, IRetryContext context, CancellationToken ct) =>
        RetryBackoff.Pipeline(OutcomeClassifier.IsTransientForNaiveRetry, context)
            .ExecuteAsync(async t => await attempt(t), ct).AsTask();
}
