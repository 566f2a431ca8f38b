namespace Chaos.Harness.Network.Kernel;

/// <summary>
/// idle-flow-drop: a middlebox (NAT, firewall, load balancer) forgets flows that were idle longer
/// than <see cref="IdleTimeout"/>; their next packets, either way, are dropped silently, forever,
/// while new connections work.
/// </summary>
/// <remarks>
/// Modelled with the database host's own connection tracking, which always runs: while the rule is
/// active an established flow expires after <see cref="IdleTimeout"/> without a packet, and any
/// packet refreshes it, TCP keepalive probes included, exactly as a production middlebox behaves. With
/// <c>nf_conntrack_tcp_loose=0</c> a forgotten flow is not picked up again mid-stream, so conntrack
/// sees its packets as <c>invalid</c>, and those are what the rule drops. A new connection starts with
/// a SYN, which creates a fresh entry; its SYN-ACK is already "established" to conntrack, which is why
/// the rule matches "invalid" and never "established". The idle clock of flows that exist when the
/// rule is applied starts at that moment.
/// </remarks>
internal sealed record IdleFlowDrop : NetworkRule
{
    public IdleFlowDrop(TimeSpan idleTimeout) => IdleTimeout = ConnectionTracking.ValidateIdleTimeout(idleTimeout);

    public TimeSpan IdleTimeout { get; }

    public override string Name => "idle-flow-drop";

    internal override RuleSet Build() =>
        new(Inbound: ["ct state invalid counter drop"], Outbound: ["ct state invalid counter drop"], ForgetIdleFlowsAfter: IdleTimeout);
}
