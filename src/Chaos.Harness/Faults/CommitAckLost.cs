using Chaos.Harness.Expectations;
using Chaos.Harness.Profiles;
using Chaos.Harness.Proxy;
using Chaos.Harness.Scenarios;
using Chaos.Harness.Workload;
using static Chaos.Harness.Checking.Verdict;

namespace Chaos.Harness.Faults;

/// <summary>
/// The COMMIT reaches the server and commits, but its answer never reaches the client: the connection
/// is cut after the answer's first byte. The application cannot know whether its write happened; a retry
/// that assumes it did not applies it twice.
/// </summary>
/// <remarks>
/// limit_data rather than a timeout toxic: toxics apply to every connection through the proxy, and a
/// timeout would also swallow the handshakes of connections opened meanwhile. limit_data closes whatever
/// carries data while it is in place and touches idle ones not at all.
/// </remarks>
internal sealed class CommitAckLost : IFault
{
    public string Name => "commit-ack-lost";
    public string Description => "The COMMIT commits on the server; its answer is cut after one byte and the connection closed: outcome unknown.";

    public Scenario Scenario { get; } = Scenario.StrikeOneTransaction(Nemesis.Toxics(
        target => $"the answer to op {target.RequireVictim().RequestId}'s COMMIT (txid {target.RequireVictim().Txid}) will be lost", "answers flow again; other requests resume",
        ToxicSpec.LimitData(1, ToxicStream.Downstream) with { Name = "commit-ack-lost" }), HookPoint.BeforeCommit);

    public ExpectationRules Expected { get; } = ExpectationRules
        .Otherwise(Recovered, "the COMMIT committed but its answer was lost: the application sees one unknown outcome and must not assume either way")
        .When(t => t.EfCore is { Retry: EfCoreRetry.Verified }, Survived, "verifySucceeded finds the write's rows after the lost answer, so EF Core does not run the transaction again")
        .When(t => t.EfCore is { Retry: EfCoreRetry.OnFailure }, Corrupted, "EF Core's retrying strategy takes the lost COMMIT answer for a transient failure and runs the committed transaction again: the write is applied twice")
        .When(t => t.RetriesIdempotently, Survived, "the idempotent retry finds the unknown COMMIT committed (its write's rows are there), so the transaction is not run again")
        .When(t => t.Retries, Corrupted, "the retry treats the lost answer as a failure and runs the committed transaction again: the write is applied twice");
}
