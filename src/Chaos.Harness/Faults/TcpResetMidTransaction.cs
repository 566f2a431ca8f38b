using Chaos.Harness.Expectations;
using Chaos.Harness.Proxy;
using Chaos.Harness.Scenarios;
using Chaos.Harness.Workload;
using static Chaos.Harness.Checking.Verdict;

namespace Chaos.Harness.Faults;

/// <summary>
/// A load balancer or firewall cuts the TCP connection while a transaction is open: the proxy's
/// reset_peer drops the transaction's next statement and closes the connection. Like real Toxiproxy, it
/// closes a connection that was open before the toxic with a FIN (a RST only for connections opened while
/// it is on), so the application reads end-of-stream mid-transaction.
/// </summary>
internal sealed class TcpResetMidTransaction : IFault
{
    public string Name => "tcp-reset-mid-transaction";
    public string Description => "The connection of an open transaction is cut after its first write (proxy reset_peer: the next statement is dropped, the connection closed).";

    public Scenario Scenario { get; } = Scenario.StrikeOneTransaction(Nemesis.Toxics(
        target => $"TCP reset under op {target.RequireVictim().RequestId}'s open transaction", "reset_peer removed; other requests resume",
        ToxicSpec.ResetPeer(0, ToxicStream.Upstream) with { Name = "reset-mid-transaction" }), HookPoint.AfterWrite);

    public ExpectationRules Expected { get; } = ExpectationRules
        .Otherwise(Recovered, "the cut breaks the connection inside the transaction; the application gets the error and the pool is cleared")
        .When(t => t.RetriesIdempotently, Survived, "the whole transaction is retried on a new connection; it never committed")
        .When(t => t.Retries, Survived, "the cut is an I/O error before COMMIT, which the retry replays on a new connection");
}
