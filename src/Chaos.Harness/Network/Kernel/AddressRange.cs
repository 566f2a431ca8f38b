using System.Net;
using System.Text.Json;

namespace Chaos.Harness.Network.Kernel;

/// <summary>
/// The one address range the kernel path uses, carved into a /30 per database host:
/// <code>
///   10.250.0.0/22          256 slots, one per database host alive on this machine (all runs together)
///   slot k:  10.250.(k/64).(k%64*4)/30
///            .+1  the application's side (root namespace, link chaos&lt;k&gt;)
///            .+2  the database host (its own namespace, link eth0)
/// </code>
/// RFC 1918 space outside Docker's default pools (172.17-31/16, 192.168/16), the common Kubernetes
/// defaults (10.42-43, 10.96/12, 10.244/16) and CGNAT/Tailscale (100.64/10). The addresses exist only
/// on links the run creates; a machine whose own routes touch the range is refused, never shared.
/// </summary>
internal static class AddressRange
{
    public const string Cidr = "10.250.0.0/22";
    public const int Slots = 256;

    /// <summary>Root-namespace links are called chaos&lt;slot&gt;: short (IFNAMSIZ is 16) and unique per slot machine-wide.</summary>
    public const string LinkPrefix = "chaos";

    private static readonly uint s_base = ToUInt(IPAddress.Parse("10.250.0.0"));
    private const int PrefixLength = 22;

    public static IPAddress ApplicationAddress(int slot) => FromUInt(SlotBase(slot) + 1);
    public static IPAddress HostAddress(int slot) => FromUInt(SlotBase(slot) + 2);
    public static string LinkName(int slot) => $"{LinkPrefix}{slot}";

    public static int? SlotOfLink(string link) =>
        link.StartsWith(LinkPrefix, StringComparison.Ordinal) && int.TryParse(link.AsSpan(LinkPrefix.Length), out var slot)
            && slot is >= 0 and < Slots && LinkName(slot) == link ? slot : null;

    private static uint SlotBase(int slot)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(slot);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(slot, Slots);
        return s_base + (uint)(slot * 4);
    }

    /// <summary>
    /// The routes (from <c>ip -j -4 route show table all</c>) that overlap the range, other than the
    /// harness's own links. Addresses count too: each one has a local route in table local.
    /// </summary>
    public static IReadOnlyList<string> Overlaps(string routesJson)
    {
        var found = new List<string>();
        using var doc = JsonDocument.Parse(routesJson.Length == 0 ? "[]" : routesJson);
        foreach (var route in doc.RootElement.EnumerateArray())
        {
            var dst = route.TryGetProperty("dst", out var d) ? d.GetString() : null;
            var dev = route.TryGetProperty("dev", out var v) ? v.GetString() : null;
            // The default route covers everything and conflicts with nothing: a more specific route wins.
            if (dst is null or "default" || (dev is not null && SlotOfLink(dev) is not null)) continue;
            if (!TryParsePrefix(dst, out var network, out var length) || !Intersects(network, length)) continue;
            var table = route.TryGetProperty("table", out var t) ? $" table {t}" : "";
            found.Add($"{dst}{(dev is null ? "" : $" dev {dev}")}{table}");
        }
        return found;
    }

    private static bool Intersects(uint network, int length)
    {
        // Two prefixes overlap exactly when they agree on the bits of the shorter one.
        var shorter = Math.Min(length, PrefixLength);
        var mask = shorter == 0 ? 0u : uint.MaxValue << (32 - shorter);
        return (network & mask) == (s_base & mask);
    }

    private static bool TryParsePrefix(string text, out uint network, out int length)
    {
        var parts = text.Split('/');
        length = 32;
        network = 0;
        if (!IPAddress.TryParse(parts[0], out var address) || address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork) return false;
        if (parts.Length > 1 && !int.TryParse(parts[1], out length)) return false;
        network = ToUInt(address);
        return length is >= 0 and <= 32;
    }

    private static uint ToUInt(IPAddress address)
    {
        var b = address.GetAddressBytes();
        return (uint)(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]);
    }

    private static IPAddress FromUInt(uint value) =>
        new([(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value]);
}
