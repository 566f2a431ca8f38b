namespace Chaos.Harness.Network.Kernel;

/// <summary>
/// one-way-partition: only database-to-application packets are dropped. The server still receives
/// and runs what the application sends, but no answer (not even a TCP ACK or a SYN-ACK) gets back:
/// from the application's side the connection is half-open.
/// </summary>
internal sealed record OneWayPartition : NetworkRule
{
    public override string Name => "one-way-partition";

    internal override RuleSet Build() => new(Inbound: [], Outbound: ["counter drop"]);
}
