namespace Chaos.Harness.Network.Kernel;

/// <summary>
/// network-partition: every packet between the application and the database host is dropped, both
/// ways: connections in use, idle ones (and their keepalive probes), and new ones (SYNs). Nothing is
/// answered, so the application sees silence, exactly as when a link or a switch dies. Heal: packets
/// flow again and TCP retransmits what is outstanding.
/// </summary>
internal sealed record Partition : NetworkRule
{
    public override string Name => "network-partition";

    internal override RuleSet Build() => new(Inbound: ["counter drop"], Outbound: ["counter drop"]);
}
