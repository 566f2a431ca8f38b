namespace Chaos.Harness.Network.Kernel;

/// <summary>
/// The kernel network path could not be built or changed: a capability or tool is missing, the
/// address range is taken, or an <c>ip</c>/<c>nft</c>/<c>conntrack</c> call failed. The message names
/// the command, its stderr, and where there is one, the fix.
/// </summary>
internal sealed class KernelNetworkException : Exception
{
    public KernelNetworkException(string message) : base(message) { }
    public KernelNetworkException(string message, Exception inner) : base(message, inner) { }
}
