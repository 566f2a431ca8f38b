using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Chaos.Harness.Proxy;

/// <summary>
/// A typed client for the Toxiproxy 2.x HTTP API. Works against the in-repo proxy and a real
/// Toxiproxy alike; <see cref="ProxyInfo.Connections"/> is null against the real one.
/// </summary>
public sealed class ToxiproxyClient : IDisposable
{
    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.Never };

    private readonly HttpClient _http;
    private readonly bool _ownsHttp;

    /// <summary>A client of the Toxiproxy API at <paramref name="apiAddress"/> (http://host:8474).</summary>
    /// <param name="apiAddress">The API's base address.</param>
    /// <param name="http">An HttpClient to use (not disposed here); null: one of its own with a 30 s timeout.</param>
    public ToxiproxyClient(Uri apiAddress, HttpClient? http = null)
    {
        ArgumentNullException.ThrowIfNull(apiAddress);
        ApiAddress = apiAddress.AbsoluteUri.EndsWith('/') ? apiAddress : new Uri(apiAddress.AbsoluteUri + "/");
        _ownsHttp = http is null;
        _http = http ?? new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>The API's base address, ending in a slash.</summary>
    public Uri ApiAddress { get; }

    /// <summary>GET /version: the server's Toxiproxy version, e.g. "2.12.0".</summary>
    /// <param name="ct">Cancels the call.</param>
    public async Task<string> GetVersionAsync(CancellationToken ct = default)
    {
        using var response = await SendAsync(HttpMethod.Get, "version", null, ct).ConfigureAwait(false);
        var text = (await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false)).Trim();

        // Newer Toxiproxy releases answer {"version": "..."}; older ones and ours plain text.
        if (text.StartsWith('{'))
        {
            try
            {
                using var document = JsonDocument.Parse(text);
                if (document.RootElement.TryGetProperty("version", out var version) && version.ValueKind == JsonValueKind.String)
                {
                    return version.GetString()!;
                }
            }
            catch (JsonException)
            {
            }
        }

        return text;
    }

    /// <summary>GET /proxies: every proxy by name.</summary>
    /// <param name="ct">Cancels the call.</param>
    public async Task<IReadOnlyDictionary<string, ProxyInfo>> GetProxiesAsync(CancellationToken ct = default) =>
        await GetAsync<Dictionary<string, ProxyInfo>>("proxies", ct).ConfigureAwait(false);

    /// <summary>POST /proxies: creates a proxy (409 when the name exists).</summary>
    /// <param name="config">Its name, listen address and upstream.</param>
    /// <param name="ct">Cancels the call.</param>
    public Task<ProxyInfo> CreateProxyAsync(ProxyConfig config, CancellationToken ct = default) =>
        SendAsync<ProxyInfo>(HttpMethod.Post, "proxies", config, ct);

    /// <summary>GET /proxies/{proxy}.</summary>
    /// <param name="proxy">The proxy's name.</param>
    /// <param name="ct">Cancels the call.</param>
    public Task<ProxyInfo> GetProxyAsync(string proxy, CancellationToken ct = default) =>
        GetAsync<ProxyInfo>(ProxyPath(proxy), ct);

    /// <summary>POST /proxies/{proxy}: changes its listen address, upstream or enabled state.</summary>
    /// <param name="proxy">The proxy's name.</param>
    /// <param name="update">The fields to change.</param>
    /// <param name="ct">Cancels the call.</param>
    public Task<ProxyInfo> UpdateProxyAsync(string proxy, ProxyUpdate update, CancellationToken ct = default) =>
        SendAsync<ProxyInfo>(HttpMethod.Post, ProxyPath(proxy), update, ct);

    /// <summary>Enables or disables a proxy; disabling closes its listener and every connection through it.</summary>
    /// <param name="proxy">The proxy's name.</param>
    /// <param name="enabled">The state to set.</param>
    /// <param name="ct">Cancels the call.</param>
    public Task<ProxyInfo> SetEnabledAsync(string proxy, bool enabled, CancellationToken ct = default) =>
        UpdateProxyAsync(proxy, new ProxyUpdate(Enabled: enabled), ct);

    /// <summary>DELETE /proxies/{proxy}: removes it and closes its connections.</summary>
    /// <param name="proxy">The proxy's name.</param>
    /// <param name="ct">Cancels the call.</param>
    public async Task DeleteProxyAsync(string proxy, CancellationToken ct = default)
    {
        using var _ = await SendAsync(HttpMethod.Delete, ProxyPath(proxy), null, ct).ConfigureAwait(false);
    }

    /// <summary>POST /populate: creates or replaces the given proxies.</summary>
    /// <param name="proxies">The proxies to have.</param>
    /// <param name="ct">Cancels the call.</param>
    public async Task<IReadOnlyList<ProxyInfo>> PopulateAsync(IEnumerable<ProxyConfig> proxies, CancellationToken ct = default) =>
        (await SendAsync<PopulateReply>(HttpMethod.Post, "populate", proxies.ToList(), ct).ConfigureAwait(false)).Proxies ?? [];

    /// <summary>GET /proxies/{proxy}/toxics.</summary>
    /// <param name="proxy">The proxy's name.</param>
    /// <param name="ct">Cancels the call.</param>
    public async Task<IReadOnlyList<ToxicInfo>> GetToxicsAsync(string proxy, CancellationToken ct = default) =>
        await GetAsync<List<ToxicInfo>>(ProxyPath(proxy) + "/toxics", ct).ConfigureAwait(false);

    /// <summary>POST /proxies/{proxy}/toxics: adds a toxic (409 when its name exists).</summary>
    /// <param name="proxy">The proxy's name.</param>
    /// <param name="toxic">The toxic, from the factories on <see cref="ToxicSpec"/>.</param>
    /// <param name="ct">Cancels the call.</param>
    public Task<ToxicInfo> AddToxicAsync(string proxy, ToxicSpec toxic, CancellationToken ct = default) =>
        SendAsync<ToxicInfo>(HttpMethod.Post, ProxyPath(proxy) + "/toxics", toxic, ct);

    /// <summary>GET /proxies/{proxy}/toxics/{toxic}.</summary>
    /// <param name="proxy">The proxy's name.</param>
    /// <param name="toxic">The toxic's name.</param>
    /// <param name="ct">Cancels the call.</param>
    public Task<ToxicInfo> GetToxicAsync(string proxy, string toxic, CancellationToken ct = default) =>
        GetAsync<ToxicInfo>(ToxicPath(proxy, toxic), ct);

    /// <summary>POST /proxies/{proxy}/toxics/{toxic}: changes its toxicity or attributes.</summary>
    /// <param name="proxy">The proxy's name.</param>
    /// <param name="toxic">The toxic's name.</param>
    /// <param name="toxicity">The new probability (0 to 1), or null to keep it.</param>
    /// <param name="attributes">The attributes to change, or null.</param>
    /// <param name="ct">Cancels the call.</param>
    public Task<ToxicInfo> UpdateToxicAsync(
        string proxy, string toxic, double? toxicity, IReadOnlyDictionary<string, long>? attributes, CancellationToken ct = default)
    {
        var body = new Dictionary<string, object>();
        if (toxicity is { } t)
        {
            body["toxicity"] = t;
        }

        if (attributes is not null)
        {
            body["attributes"] = attributes;
        }

        return SendAsync<ToxicInfo>(HttpMethod.Post, ToxicPath(proxy, toxic), body, ct);
    }

    /// <summary>DELETE /proxies/{proxy}/toxics/{toxic}.</summary>
    /// <param name="proxy">The proxy's name.</param>
    /// <param name="toxic">The toxic's name.</param>
    /// <param name="ct">Cancels the call.</param>
    public async Task RemoveToxicAsync(string proxy, string toxic, CancellationToken ct = default)
    {
        using var _ = await SendAsync(HttpMethod.Delete, ToxicPath(proxy, toxic), null, ct).ConfigureAwait(false);
    }

    /// <summary>POST /reset: enables every proxy and removes every toxic.</summary>
    /// <param name="ct">Cancels the call.</param>
    public async Task ResetAsync(CancellationToken ct = default)
    {
        using var _ = await SendAsync(HttpMethod.Post, "reset", null, ct).ConfigureAwait(false);
    }

    /// <summary>Client connections open through the proxy now; null when the server does not say (real Toxiproxy).</summary>
    /// <param name="proxy">The proxy's name.</param>
    /// <param name="ct">Cancels the call.</param>
    public async Task<int?> GetOpenConnectionsAsync(string proxy, CancellationToken ct = default) =>
        (await GetProxyAsync(proxy, ct).ConfigureAwait(false)).Connections;

    /// <summary>Disposes the HttpClient when this client made it.</summary>
    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    private static string ProxyPath(string proxy) => "proxies/" + Uri.EscapeDataString(proxy);

    private static string ToxicPath(string proxy, string toxic) => ProxyPath(proxy) + "/toxics/" + Uri.EscapeDataString(toxic);

    private Task<T> GetAsync<T>(string path, CancellationToken ct) => SendAsync<T>(HttpMethod.Get, path, null, ct);

    private async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, CancellationToken ct)
    {
        using var response = await SendAsync(method, path, body, ct).ConfigureAwait(false);
        return await response.Content.ReadFromJsonAsync<T>(Json, ct).ConfigureAwait(false)
            ?? throw new ToxiproxyException((int)response.StatusCode, "empty response", $"{method} /{path}");
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, new Uri(ApiAddress, path));
        request.Headers.UserAgent.ParseAdd("chaos-harness/1.0");
        if (body is not null)
        {
            request.Content = new StringContent(JsonSerializer.Serialize(body, body.GetType(), Json), Encoding.UTF8, "application/json");
        }

        var response = await _http.SendAsync(request, ct).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            throw new ToxiproxyException((int)response.StatusCode, ErrorMessage(text), $"{method} /{path}");
        }
    }

    /// <summary>The "error" of Toxiproxy's error JSON, or the raw text when the body is not that.</summary>
    private static string ErrorMessage(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.String)
            {
                return error.GetString()!;
            }
        }
        catch (JsonException)
        {
        }

        return text.Trim();
    }

    private sealed record PopulateReply([property: JsonPropertyName("proxies")] List<ProxyInfo>? Proxies);
}
