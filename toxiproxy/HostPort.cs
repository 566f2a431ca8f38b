using System.Net;
using System.Net.Sockets;
using Toxiproxy.Api;

namespace Toxiproxy;

/// <summary>A "host:port" address as the API writes it.</summary>
internal readonly record struct HostPort(string Host, int Port)
{
    /// <summary>
    /// Parses a listen address. Toxiproxy hands it to Go's net.Listen, which fails (a 500 there)
    /// on what we refuse here with 400 and Go's words: "listen tcp: address x: missing port in address".
    /// </summary>
    public static HostPort Parse(string text)
    {
        var colon = text.LastIndexOf(':');
        if (colon < 0)
        {
            throw ApiError.InvalidAddress.With($"address {text}: missing port in address");
        }

        if (!int.TryParse(text.AsSpan(colon + 1), System.Globalization.NumberStyles.None, null, out var port) || port > 65535)
        {
            throw ApiError.InvalidAddress.With($"address {text}: invalid port");
        }

        var host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }
        else if (host.Contains(':'))
        {
            throw ApiError.InvalidAddress.With($"address {text}: too many colons in address");
        }

        return new HostPort(host, port);
    }

    /// <summary>Parses an upstream address for dialling; null when it is not one (Toxiproxy accepts any text and fails at dial time).</summary>
    public static HostPort? TryParseUpstream(string text)
    {
        try
        {
            var parsed = Parse(text);
            return parsed.Port == 0 ? null : parsed;
        }
        catch (ApiException)
        {
            return null;
        }
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

        IPAddress[] addresses;
        try
        {
            addresses = await Dns.GetHostAddressesAsync(Host, ct).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            // Toxiproxy answers 500 "listen tcp: lookup x: no such host"; a name that does not
            // resolve is the request's fault, not the server's.
            throw ApiError.InvalidAddress.With($"lookup {Host}: {e.Message}");
        }
        catch (ArgumentException e)
        {
            throw ApiError.InvalidAddress.With($"lookup {Host}: {e.Message}");
        }

        var chosen = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
            ?? throw ApiError.InvalidAddress.With($"lookup {Host}: no such host");
        return new IPEndPoint(chosen, Port);
    }

    /// <summary>
    /// The address as Go's net.ResolveTCPAddr(...).String() writes it, which Toxiproxy compares
    /// with a running proxy's listen address to decide whether an update or populate changes it:
    /// "localhost:8080" is "127.0.0.1:8080", so it is the same address and the proxy is kept.
    /// </summary>
    public static async Task<string> CanonicalAsync(string listen, CancellationToken ct)
    {
        var parsed = Parse(listen);
        if (parsed.Host.Length == 0)
        {
            return $":{parsed.Port}";
        }

        return Format(await parsed.ResolveAsync(ct).ConfigureAwait(false));
    }

    public static string Format(IPEndPoint endpoint) =>
        endpoint.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{endpoint.Address}]:{endpoint.Port}" : $"{endpoint.Address}:{endpoint.Port}";
}
