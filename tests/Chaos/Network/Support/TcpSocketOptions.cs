using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;

namespace Chaos.Tests.Network;

/// <summary>The keepalive options of a TCP socket, read back from the kernel with getsockopt(2).</summary>
public sealed record TcpKeepaliveOptions(bool Enabled, int IdleSeconds, int IntervalSeconds, int Probes);

/// <summary>
/// Finds the sockets of this process connected to an endpoint (inode from /proc/self/net/tcp, fd from
/// /proc/self/fd) and reads their keepalive options: how the tests see what a driver (Npgsql) really
/// did to its socket, without reaching into the driver.
/// </summary>
public static class TcpSocketOptions
{
    private const int SolSocket = 1, SoKeepalive = 9;
    private const int IpProtoTcp = 6, TcpKeepIdle = 4, TcpKeepIntvl = 5, TcpKeepCnt = 6;

    [DllImport("libc", EntryPoint = "getsockopt", SetLastError = true)]
    private static extern int SysGetSockOpt(int fd, int level, int name, out int value, ref uint length);

    public static IReadOnlyList<TcpKeepaliveOptions> ConnectedTo(IPEndPoint remote)
    {
        var inodes = InodesConnectedTo(remote);
        var result = new List<TcpKeepaliveOptions>();
        foreach (var fdPath in Directory.GetFiles("/proc/self/fd"))
        {
            var target = new FileInfo(fdPath).LinkTarget;
            if (target is null || !target.StartsWith("socket:[", StringComparison.Ordinal)) continue;
            if (!inodes.Contains(target["socket:[".Length..^1])) continue;
            var fd = int.Parse(Path.GetFileName(fdPath), CultureInfo.InvariantCulture);
            result.Add(new TcpKeepaliveOptions(Get(fd, SolSocket, SoKeepalive) != 0, Get(fd, IpProtoTcp, TcpKeepIdle), Get(fd, IpProtoTcp, TcpKeepIntvl), Get(fd, IpProtoTcp, TcpKeepCnt)));
        }
        return result;
    }

    /// <summary>How many of this namespace's TCP sockets to <paramref name="remote"/> are in a state (hex, as /proc/net/tcp writes it: 01 ESTABLISHED, 02 SYN_SENT).</summary>
    public static int Count(IPEndPoint remote, string state) => Rows(remote).Count(r => r.State == state);

    /// <summary>Bytes sent to <paramref name="remote"/> on established sockets that the peer has not acknowledged yet (tx_queue).</summary>
    public static long Unacknowledged(IPEndPoint remote) =>
        Rows(remote).Where(r => r.State == "01").Sum(r => long.Parse(r.Queues.Split(':')[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture));

    private static HashSet<string> InodesConnectedTo(IPEndPoint remote) =>
        [.. Rows(remote).Where(r => r.State == "01").Select(r => r.Inode)];

    private static IEnumerable<(string State, string Queues, string Inode)> Rows(IPEndPoint remote)
    {
        // /proc/net/tcp writes an IPv4 address as the hex of its 32-bit value in host (little-endian) order.
        var address = Convert.ToHexString([.. remote.Address.GetAddressBytes().Reverse()]);
        var wanted = $"{address}:{remote.Port:X4}";
        foreach (var line in File.ReadLines("/proc/self/net/tcp").Skip(1))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            // sl local rem st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
            if (f.Length > 9 && f[2] == wanted) yield return (f[3], f[4], f[9]);
        }
    }

    private static int Get(int fd, int level, int name)
    {
        var length = (uint)sizeof(int);
        if (SysGetSockOpt(fd, level, name, out var value, ref length) != 0)
            throw new IOException($"getsockopt({fd}, {level}, {name}) failed: errno {Marshal.GetLastPInvokeError()}");
        return value;
    }
}
