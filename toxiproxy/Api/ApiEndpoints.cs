using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Toxiproxy.Toxics;

namespace Toxiproxy.Api;

/// <summary>
/// The Toxiproxy 2.12 HTTP API over a <see cref="ProxyCollection"/>, answering as its Go server
/// does (api.go): routes as gorilla/mux matches them, bodies decoded as encoding/json decodes them,
/// errors written by Go's http.Error (text/plain, the error JSON and a newline).
/// </summary>
internal sealed class ApiEndpoints(ProxyCollection proxies)
{
    private static readonly JsonSerializerOptions Json = new();

    private static readonly GoField[] ProxyFields =
    [
        new("name", GoKind.String), new("listen", GoKind.String), new("upstream", GoKind.String),
        new("enabled", GoKind.Bool), new("Logger", GoKind.Struct, "zerolog.Logger"),
    ];

    private static readonly GoField[] ToxicFields =
    [
        new("attributes", GoKind.Struct, "toxics.NoopToxic"), new("name", GoKind.String), new("type", GoKind.String),
        new("stream", GoKind.String), new("toxicity", GoKind.Float32),
    ];

    private static readonly GoField[] ToxicUpdateFields = [new("toxicity", GoKind.Float32)];

    private const string PopulateElementType = "struct { toxiproxy.Proxy; Enabled *bool \"json:\\\"enabled\\\"\" }";

    private const string ToxicUpdateType = "struct { Attributes interface {} \"json:\\\"attributes\\\"\"; Toxicity float32 \"json:\\\"toxicity\\\"\" }";

    /// <summary>The single entry point: browser guard, routing, and the one place errors are written.</summary>
    public async Task HandleAsync(HttpContext context)
    {
        var ct = context.RequestAborted;
        try
        {
            if (context.Request.Headers.UserAgent.ToString().StartsWith("Mozilla/", StringComparison.Ordinal))
            {
                // stopBrowsersMiddleware: http.Error with plain text, not the error JSON.
                await WritePlainAsync(context, 403, "User agent not allowed").ConfigureAwait(false);
                return;
            }

            await RouteAsync(context, ct).ConfigureAwait(false);
        }
        catch (ApiException e)
        {
            await WriteErrorAsync(context, e.Status, e.Message).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The client went away; nobody to answer.
        }
        catch (BadHttpRequestException e)
        {
            // A body that breaks HTTP itself (bad chunk framing, too large, too slow): the client's fault.
            await WriteErrorAsync(context, e.StatusCode, ApiError.BadRequestBody.With(e.Message).Message).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            await WriteErrorAsync(context, 500, e.Message).ConfigureAwait(false);
        }
    }

    private Task RouteAsync(HttpContext context, CancellationToken ct)
    {
        var method = context.Request.Method;
        var update = method is "POST" or "PATCH";
        var segments = Segments(context);
        if (segments is null)
        {
            return NotFoundAsync(context);
        }

        return segments switch
        {
            ["version"] => method == "GET" ? VersionAsync(context) : MethodNotAllowedAsync(context),
            ["reset"] => method == "POST" ? ResetAsync(context, ct) : MethodNotAllowedAsync(context),
            ["populate"] => method == "POST" ? PopulateAsync(context, ct) : MethodNotAllowedAsync(context),
            ["proxies"] when method == "GET" => ListProxiesAsync(context, ct),
            ["proxies"] when method == "POST" => CreateProxyAsync(context, ct),
            ["proxies", var p] when method == "GET" => ShowProxyAsync(context, p, ct),
            ["proxies", var p] when update => UpdateProxyAsync(context, p, ct),
            ["proxies", var p] when method == "DELETE" => DeleteProxyAsync(context, p, ct),
            ["proxies", var p, "toxics"] when method == "GET" => ListToxicsAsync(context, p, ct),
            ["proxies", var p, "toxics"] when method == "POST" => CreateToxicAsync(context, p, ct),
            ["proxies", var p, "toxics", var t] when method == "GET" => ShowToxicAsync(context, p, t, ct),
            ["proxies", var p, "toxics", var t] when update => UpdateToxicAsync(context, p, t, ct),
            ["proxies", var p, "toxics", var t] when method == "DELETE" => DeleteToxicAsync(context, p, t, ct),
            ["proxies"] or ["proxies", _] or ["proxies", _, "toxics"] or ["proxies", _, "toxics", _] => MethodNotAllowedAsync(context),
            _ => NotFoundAsync(context),
        };
    }

    /// <summary>
    /// The path's segments, each percent-decoded on its own from the raw request target, so that a
    /// name holding '/' (sent as %2F) is still one segment: every proxy that can be created can
    /// be addressed. Null when a segment is empty (gorilla/mux matches none of those).
    /// </summary>
    private static string[]? Segments(HttpContext context)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(raw) || raw[0] != '/')
        {
            // An absolute-form or "*" target: Kestrel's decoded path is all there is.
            raw = context.Request.Path.Value is { Length: > 0 } path ? path : "/";
        }

        var query = raw.IndexOfAny(['?', '#']);
        if (query >= 0)
        {
            raw = raw[..query];
        }

        var segments = raw[1..].Split('/');
        if (segments.Any(s => s.Length == 0))
        {
            return null;
        }

        return [.. segments.Select(Uri.UnescapeDataString)];
    }

    private static Task NotFoundAsync(HttpContext context) => WritePlainAsync(context, 404, "404 page not found");

    /// <summary>gorilla/mux answers a known path with the wrong method 405 with no body.</summary>
    private static Task MethodNotAllowedAsync(HttpContext context)
    {
        context.Response.StatusCode = 405;
        return Task.CompletedTask;
    }

    private static async Task VersionAsync(HttpContext context)
    {
        // Byte for byte what api.go's Version handler writes, space and newline included.
        context.Response.ContentType = "application/json;charset=utf-8";
        await context.Response.WriteAsync($"{{\"version\": \"{ToxiproxyServer.Version}\"}}\n").ConfigureAwait(false);
    }

    private async Task ResetAsync(HttpContext context, CancellationToken ct)
    {
        await proxies.ResetAsync(ct).ConfigureAwait(false);
        context.Response.StatusCode = 204;
    }

    private async Task ListProxiesAsync(HttpContext context, CancellationToken ct)
    {
        var result = new Dictionary<string, ProxyJson>();
        foreach (var proxy in await proxies.GetAllAsync(ct).ConfigureAwait(false))
        {
            result[proxy.Name] = await ProxyJson.FromAsync(proxy, ct).ConfigureAwait(false);
        }

        await WriteAsync(context, 200, result).ConfigureAwait(false);
    }

    private async Task CreateProxyAsync(HttpContext context, CancellationToken ct)
    {
        var body = await RequestBody.ReadAsync(context.Request, ct).ConfigureAwait(false);
        var (proxy, enabled) = ReadProxy(body, "toxiproxy.Proxy", "Proxy", null);
        await proxies.AddAsync(proxy, enabled, ct).ConfigureAwait(false);
        await WriteAsync(context, 201, await ProxyJson.FromAsync(proxy, ct).ConfigureAwait(false)).ConfigureAwait(false);
    }

    private async Task PopulateAsync(HttpContext context, CancellationToken ct)
    {
        var done = new List<ProxyJson>();
        try
        {
            var body = await RequestBody.ReadAsync(context.Request, ct).ConfigureAwait(false);
            await PopulateAsync(proxies, body, done, ct).ConfigureAwait(false);
        }
        catch (ApiException e)
        {
            // Populate answers its own JSON (not http.Error): the error, and what was done before it.
            await WriteAsync(context, e.Status, new PopulateJson(e.Message, e.Status, done.Count == 0 ? null : done)).ConfigureAwait(false);
            return;
        }

        await WriteAsync(context, 201, new PopulateJson(null, null, done.Count == 0 ? null : done)).ConfigureAwait(false);
    }

    /// <summary>Validates the whole array first, then creates or replaces proxy by proxy (PopulateJson).</summary>
    internal static async Task PopulateAsync(ProxyCollection proxies, JsonElement? body, List<ProxyJson> done, CancellationToken ct)
    {
        if (body is not { } array)
        {
            return;
        }

        GoJson.ExpectKind(array, JsonValueKind.Array, "[]" + PopulateElementType);
        foreach (var element in array.EnumerateArray())
        {
            GoJson.ExpectKind(element, JsonValueKind.Object, PopulateElementType);
        }

        var wanted = array.EnumerateArray().Select(e => Bind(e, "", ProxyFields)).ToList();
        for (var i = 0; i < wanted.Count; i++)
        {
            if (string.IsNullOrEmpty(GoJson.String(wanted[i], "name")))
            {
                throw ApiError.MissingField.With($"name at proxy {i + 1}");
            }

            if (string.IsNullOrEmpty(GoJson.String(wanted[i], "upstream")))
            {
                throw ApiError.MissingField.With($"upstream at proxy {i + 1}");
            }

            Names.Check(GoJson.String(wanted[i], "name")!, "proxy");
            HostPort.Parse(GoJson.String(wanted[i], "listen") is { Length: > 0 } listen ? listen : "127.0.0.1:0");
        }

        foreach (var fields in wanted)
        {
            var (proxy, enabled) = NewProxy(fields, null);
            var kept = await proxies.AddOrReplaceAsync(proxy, enabled, ct).ConfigureAwait(false);
            done.Add(await ProxyJson.FromAsync(kept, ct).ConfigureAwait(false));
        }
    }

    private static Dictionary<string, JsonElement> Bind(JsonElement? body, string goStruct, GoField[] fields) =>
        body is { } value ? GoJson.Bind(value, goStruct, "", fields) : [];

    private static (Proxy Proxy, bool Enabled) ReadProxy(JsonElement? body, string goType, string goStruct, int? position)
    {
        if (body is { } value)
        {
            GoJson.ExpectKind(value, JsonValueKind.Object, goType);
        }

        var fields = Bind(body, goStruct, ProxyFields);
        if (string.IsNullOrEmpty(GoJson.String(fields, "name")))
        {
            throw ApiError.MissingField.With("name");
        }

        if (string.IsNullOrEmpty(GoJson.String(fields, "upstream")))
        {
            throw ApiError.MissingField.With("upstream");
        }

        return NewProxy(fields, position);
    }

    private static (Proxy Proxy, bool Enabled) NewProxy(Dictionary<string, JsonElement> fields, int? position)
    {
        var name = Names.Check(GoJson.String(fields, "name")!, "proxy");
        return (new Proxy(name, GoJson.String(fields, "listen") ?? "", GoJson.String(fields, "upstream")!), GoJson.Bool(fields, "enabled") ?? true);
    }

    private async Task ShowProxyAsync(HttpContext context, string name, CancellationToken ct)
    {
        var proxy = await proxies.GetAsync(name, ct).ConfigureAwait(false);
        await WriteAsync(context, 200, await ProxyJson.FromAsync(proxy, ct).ConfigureAwait(false)).ConfigureAwait(false);
    }

    private async Task UpdateProxyAsync(HttpContext context, string name, CancellationToken ct)
    {
        var proxy = await proxies.GetAsync(name, ct).ConfigureAwait(false);
        var body = await RequestBody.ReadAsync(context.Request, ct).ConfigureAwait(false);
        if (body is { } value)
        {
            GoJson.ExpectKind(value, JsonValueKind.Object, "toxiproxy.Proxy");
        }

        var fields = Bind(body, "Proxy", ProxyFields);
        await proxy.UpdateAsync(GoJson.String(fields, "listen"), GoJson.String(fields, "upstream"), GoJson.Bool(fields, "enabled"), ct).ConfigureAwait(false);
        await WriteAsync(context, 200, await ProxyJson.FromAsync(proxy, ct).ConfigureAwait(false)).ConfigureAwait(false);
    }

    private async Task DeleteProxyAsync(HttpContext context, string name, CancellationToken ct)
    {
        await proxies.RemoveAsync(name, ct).ConfigureAwait(false);
        context.Response.StatusCode = 204;
    }

    private async Task ListToxicsAsync(HttpContext context, string name, CancellationToken ct)
    {
        var proxy = await proxies.GetAsync(name, ct).ConfigureAwait(false);
        var toxics = await proxy.Toxics.GetAllAsync(ct).ConfigureAwait(false);
        await WriteAsync(context, 200, toxics.Select(ToxicJson.From).ToList()).ConfigureAwait(false);
    }

    private async Task CreateToxicAsync(HttpContext context, string name, CancellationToken ct)
    {
        var proxy = await proxies.GetAsync(name, ct).ConfigureAwait(false);
        var body = await RequestBody.ReadAsync(context.Request, ct).ConfigureAwait(false);
        if (body is { } value)
        {
            GoJson.ExpectKind(value, JsonValueKind.Object, "toxics.ToxicWrapper");
        }

        // AddToxicJson's order: decode, stream, default name, type, already exists, attributes.
        var fields = Bind(body, "ToxicWrapper", ToxicFields);
        var stream = GoJson.String(fields, "stream") ?? "downstream";
        if (!StreamDirections.TryParse(stream, out var direction))
        {
            throw ApiError.InvalidStream.ToException();
        }

        var type = GoJson.String(fields, "type") ?? "";
        var toxicName = GoJson.String(fields, "name");
        if (string.IsNullOrEmpty(toxicName))
        {
            toxicName = $"{type}_{stream}";
        }

        if (!ToxicRegistry.IsKnown(type))
        {
            throw ApiError.InvalidToxicType.ToException();
        }

        Names.Check(toxicName, "toxic");
        var toxicity = GoJson.Float32(fields, "toxicity") ?? 1f;
        fields.TryGetValue("attributes", out var attributes);
        var added = await proxy.Toxics.AddAsync(
            toxicName,
            () => new ToxicDefinition(toxicName, type, direction, stream, toxicity, ToxicRegistry.Create(type, attributes)),
            ct).ConfigureAwait(false);
        await WriteAsync(context, 200, ToxicJson.From(added)).ConfigureAwait(false);
    }

    private async Task ShowToxicAsync(HttpContext context, string name, string toxicName, CancellationToken ct)
    {
        var proxy = await proxies.GetAsync(name, ct).ConfigureAwait(false);
        var toxic = await proxy.Toxics.GetAsync(toxicName, ct).ConfigureAwait(false);
        await WriteAsync(context, 200, ToxicJson.From(toxic)).ConfigureAwait(false);
    }

    private async Task UpdateToxicAsync(HttpContext context, string name, string toxicName, CancellationToken ct)
    {
        var proxy = await proxies.GetAsync(name, ct).ConfigureAwait(false);
        var body = await RequestBody.ReadAsync(context.Request, ct).ConfigureAwait(false);
        var updated = await proxy.Toxics.UpdateAsync(
            toxicName,
            old =>
            {
                // UpdateToxicJson decodes into {attributes: the toxic itself, toxicity}: what is
                // not given keeps its value.
                if (body is { } value)
                {
                    GoJson.ExpectKind(value, JsonValueKind.Object, ToxicUpdateType);
                }

                var fields = Bind(body, "", [.. ToxicUpdateFields, new("attributes", GoKind.Struct, ToxicRegistry.GoTypeName(old.Type))]);
                fields.TryGetValue("attributes", out var attributes);
                return old with
                {
                    Toxicity = GoJson.Float32(fields, "toxicity") ?? old.Toxicity,
                    Toxic = ToxicRegistry.Create(old.Type, attributes, old.Toxic),
                };
            },
            ct).ConfigureAwait(false);
        await WriteAsync(context, 200, ToxicJson.From(updated)).ConfigureAwait(false);
    }

    private async Task DeleteToxicAsync(HttpContext context, string name, string toxicName, CancellationToken ct)
    {
        var proxy = await proxies.GetAsync(name, ct).ConfigureAwait(false);
        await proxy.Toxics.RemoveAsync(toxicName, ct).ConfigureAwait(false);
        context.Response.StatusCode = 204;
    }

    private static async Task WriteAsync<T>(HttpContext context, int status, T value)
    {
        if (context.Response.HasStarted)
        {
            return;
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(context.Response.Body, value, Json, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>apiError: the error JSON, written through http.Error (plain text, trailing newline).</summary>
    private static Task WriteErrorAsync(HttpContext context, int status, string message) =>
        WritePlainAsync(context, status, JsonSerializer.Serialize(new ErrorJson(message, status), Json));

    /// <summary>What Go's http.Error writes.</summary>
    private static async Task WritePlainAsync(HttpContext context, int status, string text)
    {
        if (context.Response.HasStarted)
        {
            return;
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.Headers["X-Content-Type-Options"] = "nosniff";
        await context.Response.WriteAsync(text + "\n", Encoding.UTF8, context.RequestAborted).ConfigureAwait(false);
    }
}

/// <summary>Proxy and toxic names, which must stay addressable as one path segment.</summary>
internal static class Names
{
    /// <summary>Longer names would not fit a request line (see ToxiproxyServer's limit); no test needs one.</summary>
    public const int MaxBytes = 4096;

    public static string Check(string name, string what)
    {
        if (Encoding.UTF8.GetByteCount(name) > MaxBytes)
        {
            throw ApiError.BadRequestBody.With($"{what} name longer than {MaxBytes} bytes");
        }

        if (name is "." or "..")
        {
            // Every HTTP client resolves these path segments away: such a proxy could never be addressed.
            throw ApiError.BadRequestBody.With($"{what} name \"{name}\" cannot be addressed in a URL");
        }

        return name;
    }
}
