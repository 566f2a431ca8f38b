namespace Chaos.Harness.Network.Kernel;

/// <summary>
/// A failure of the link between the application and a database host, as nftables rules on the
/// database host's side. A rule is data: it says which packets the host's two chains drop (or answer),
/// and whether connection tracking should forget idle flows; <see cref="DatabaseHost.ApplyAsync"/>
/// puts it in place atomically and <see cref="DatabaseHost.ClearAsync"/> is every rule's heal.
/// <code>
///   application ──▶ eth0 ─▶ input  ─▶ jump inbound   (application → database packets)
///   application ◀── eth0 ◀─ output ◀─ jump outbound  (database → application packets)
/// </code>
/// One rule per file; each names the fault it serves.
/// </summary>
internal abstract record NetworkRule
{
    private protected NetworkRule() { }

    /// <summary>The fault this rule injects, as the matrix names it.</summary>
    public abstract string Name { get; }

    internal abstract RuleSet Build();
}

/// <summary>
/// What a rule puts in the host's chains (nft rule text, in order) and, for the idle-flow rules, the
/// idle timeout after which connection tracking forgets a flow.
/// </summary>
internal sealed record RuleSet(IReadOnlyList<string> Inbound, IReadOnlyList<string> Outbound, TimeSpan? ForgetIdleFlowsAfter = null);
