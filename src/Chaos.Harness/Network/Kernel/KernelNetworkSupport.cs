namespace Chaos.Harness.Network.Kernel;

/// <summary>Whether this machine can build the kernel network path, and if not, what is missing and the fix.</summary>
internal sealed record KernelNetworkSupport(bool Available, string? Reason)
{
    internal static KernelNetworkSupport Yes { get; } = new(true, null);

    internal static KernelNetworkSupport No(IEnumerable<string> reasons) => new(false, string.Join("; ", reasons));
}
