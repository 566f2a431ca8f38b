using System.Net;
using System.Net.Sockets;

namespace Chaos.Harness.Servers.Internal;

/// <summary>
/// Free ports on 127.0.0.1 for the servers this process starts, each kept for its server's whole
/// life, stopped periods included. Asking the kernel alone is not enough: while a cluster is down
/// (a crash, a restart, scale-to-zero) its port is free, the kernel may hand it to a cluster
/// starting for another cell, and since every cluster is a copy of one template (same role,
/// password and database) the first cell's clients would then read and write the other's data.
/// </summary>
internal static class LoopbackPorts
{
    private static readonly HashSet<int> Reserved = [];

    /// <summary>A port no other server of this process holds; give it back with <see cref="Release"/>.</summary>
    public static int Reserve()
    {
        for (var attempt = 0; ; attempt++)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            lock (Reserved)
            {
                if (Reserved.Add(port))
                {
                    return port;
                }
            }

            if (attempt >= 100)
            {
                throw new InvalidOperationException("no free loopback port that this process does not already hold");
            }
        }
    }

    /// <summary>Reserves a port the caller chose (containers choose theirs below the ephemeral range); false when this process holds it already.</summary>
    public static bool TryReserve(int port)
    {
        lock (Reserved)
        {
            return Reserved.Add(port);
        }
    }

    /// <summary>Gives back <paramref name="previous"/> (0 for none) and reserves a fresh port.</summary>
    public static int Exchange(int previous)
    {
        Release(previous);
        return Reserve();
    }

    public static void Release(int port)
    {
        lock (Reserved)
        {
            Reserved.Remove(port);
        }
    }
}
