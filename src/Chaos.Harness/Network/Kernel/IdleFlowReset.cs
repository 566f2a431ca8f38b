namespace Chaos.Harness.Network.Kernel;

/// <summary>
/// idle-flow-reset: like <see cref="IdleFlowDrop"/>, but the middlebox answers the next packet the
/// application sends on a forgotten flow with a TCP RST, as cloud load balancers do after their idle
/// timeout: the application gets ECONNRESET instead of silence. The server's side is not told: its
/// backend lingers until its own keepalive or timeout notices, as in production.
/// </summary>
/// <remarks>
/// The RST that <c>reject with tcp reset</c> sends leaves through the host's output hook, where
/// conntrack (not knowing the flow) also calls it invalid: the outbound rule lets RSTs through, or it
/// would swallow its own answer (measured: without the exception the client saw silence, not a reset).
/// </remarks>
internal sealed record IdleFlowReset : NetworkRule
{
    public IdleFlowReset(TimeSpan idleTimeout) => IdleTimeout = ConnectionTracking.ValidateIdleTimeout(idleTimeout);

    public TimeSpan IdleTimeout { get; }

    public override string Name => "idle-flow-reset";

    internal override RuleSet Build() => new(
        Inbound: ["ct state invalid tcp flags & rst == 0 counter reject with tcp reset", "ct state invalid counter drop"],
        Outbound: ["ct state invalid tcp flags & rst == 0 counter drop"],
        ForgetIdleFlowsAfter: IdleTimeout);
}
