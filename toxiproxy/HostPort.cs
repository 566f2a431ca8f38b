using System.Net;
using System.Net.Sockets;
using Toxiproxy.Api;

namespace Toxiproxy;

/// <summary>A "host:port" address as the API writes it.</summary>
internal readonly record struct HostPort(string Host, int Port)
{
    public static HostPort Parse(string text, string field, bool allowPortZero)
    {
        var colon = text.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(text.AsSpan(colon + 1), out var port) || port < 0 || port > 65535 || (port == 0 && !allowPortZero))
        {
            throw ApiError.InvalidAddress.With($"{field} must be host:port, got \"{text}\"");
        }

        var host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        return new HostPort(host, port);
    }

    public async Task<IPEndPoint> ResolveAsync(CancellationToken ct)
    {
        if (Host.Length == 0)
        {
            return new IPEndPoint(IPAddress.Any, Port);
        }

        if (IPAddress.TryParse(Host, out var address))
        {
            return new IPEndPoint(address, Port);
        }

        var addresses = await Dns.GetHostAddressesAsync(Host, ct).ConfigureAwait(false);
        var chosen = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
            ?? throw ApiError.InvalidAddress.With($"cannot resolve {Host}");
        return new IPEndPoint(chosen, Port);
    }

    public static string Format(IPEndPoint endpoint) =>
        endpoint.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{endpoint.Address}]:{endpoint.Port}" : $"{endpoint.Address}:{endpoint.Port}";
}
