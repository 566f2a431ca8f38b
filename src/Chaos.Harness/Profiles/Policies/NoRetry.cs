using Chaos.Harness.Workload;

namespace Chaos.Harness.Profiles.Policies;

/// <summary>One attempt; its error is what the application sees.</summary>
internal sealed class NoRetry : IRetryPolicy
{
    public string Name => "none";
    public bool Retries => false;
    public bool ResolvesUnknownCommits => false;

    public Task ExecuteAsync(Request request, Func<CancellationToken, Task> attempt, IRetryContext context, CancellationToken ct) => attempt(ct);
}
