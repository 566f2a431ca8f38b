using System.Net;
using System.Net.Sockets;
using Chaos.Harness.Servers.Internal;

namespace Chaos.Harness.Servers.Containers;

/// <summary>
/// Host ports for containers, leased through <see cref="LoopbackPorts"/> for the container's whole life.
/// Unlike a managed server's, a container's port is held by nothing while the container is stopped
/// (docker-proxy exits with it), so it is chosen below the kernel's ephemeral range: there no outgoing
/// connection's local port and no random port Docker publishes (it hands them out from the same range)
/// can take it during a restart, a crash or a scale-to-zero. Other cells of this process cannot either:
/// the lease is LoopbackPorts'.
/// </summary>
internal static class ContainerPorts
{
    /// <summary>How far below the ephemeral range leases are taken from.</summary>
    private const int Span = 12_000;

    public static int Lease()
    {
        var (low, high) = Range();
        for (var attempt = 0; attempt < 500; attempt++)
        {
            var port = Random.Shared.Next(low, high);
            if (!LoopbackPorts.TryReserve(port)) continue;
            if (IsFree(port)) return port;
            LoopbackPorts.Release(port);
        }
        throw new ServerSetupException($"no free port on 127.0.0.1 between {low} and {high} for a container after 500 attempts");
    }

    /// <summary>[low, high): below net.ipv4.ip_local_port_range's first port (32768 by default).</summary>
    internal static (int Low, int High) Range()
    {
        var ephemeral = 32768;
        try
        {
            var text = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            if (text.Length > 0 && int.TryParse(text[0], out var first)) ephemeral = first;
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        var high = Math.Max(ephemeral, 2048);
        return (Math.Max(1024, high - Span), high);
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            probe.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException) { return false; }
    }
}
