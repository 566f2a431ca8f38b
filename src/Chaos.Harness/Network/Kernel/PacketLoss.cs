namespace Chaos.Harness.Network.Kernel;

/// <summary>
/// packet-loss: each packet, either way, is dropped with probability <see cref="Percent"/>/100,
/// decided per packet by the kernel's random number generator. TCP retransmits, so streams arrive
/// intact, only slower; what suffers is latency and anything with a tight timeout.
/// </summary>
internal sealed record PacketLoss : NetworkRule
{
    public PacketLoss(int percent)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(percent);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(percent, 100);
        Percent = percent;
    }

    public int Percent { get; }

    public override string Name => "packet-loss";

    internal override RuleSet Build()
    {
        var rule = $"numgen random mod 100 < {Percent} counter drop";
        return new(Inbound: [rule], Outbound: [rule]);
    }
}
