using Chaos.Harness.Workload;
using Polly;
using Polly.Retry;

namespace Chaos.Harness.Profiles.Policies;

/// <summary>The backoff every retrying profile shares: 3 retries, exponential from 100 ms, no jitter (0.7 s in all).</summary>
internal static class RetryBackoff
{
    public const int MaxRetryAttempts = 3;
    public static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(100);

    /// <summary>The total of every delay: what a fault must outlast to beat the retries.</summary>
    public static TimeSpan Total => TimeSpan.FromTicks(Enumerable.Range(0, MaxRetryAttempts).Sum(n => Delay.Ticks << n));

    public static ResiliencePipeline Pipeline(Func<Exception, bool> shouldRetry, IRetryContext context) =>
        new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(shouldRetry),
                MaxRetryAttempts = MaxRetryAttempts,
                BackoffType = DelayBackoffType.Exponential,
                Delay = Delay,
                UseJitter = false,
                OnRetry = args =>
                {
                    if (args.Outcome.Exception is { } e)
                    {
                        context.Note("retry", $"attempt {args.AttemptNumber + 2} after {OutcomeClassifier.Describe(e)}", OutcomeClassifier.SqlState(e));
                    }
                    return default;
                },
            })
            .Build();
}
