namespace Chaos.Harness.Network.Kernel;

/// <summary>
/// connect-timeout: SYNs of new connections are dropped, so a connect hangs until the client's own
/// connect timeout (or the kernel's SYN retries) gives up, while established connections keep working.
/// Only the SYN is matched (SYN set, ACK clear): the server's SYN-ACKs and everything else pass.
/// </summary>
internal sealed record DropNewConnections : NetworkRule
{
    public override string Name => "connect-timeout";

    internal override RuleSet Build() => new(Inbound: ["tcp flags & (syn | ack) == syn counter drop"], Outbound: []);
}
