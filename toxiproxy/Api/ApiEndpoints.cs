using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Toxiproxy.Toxics;

namespace Toxiproxy.Api;

/// <summary>The Toxiproxy 2.x HTTP API over a <see cref="ProxyCollection"/>.</summary>
internal sealed class ApiEndpoints(ProxyCollection proxies)
{
    private static readonly JsonSerializerOptions Json = new();

    /// <summary>The single entry point: browser guard, routing, and the one place errors become JSON.</summary>
    public async Task HandleAsync(HttpContext context)
    {
        var ct = context.RequestAborted;
        try
        {
            if (context.Request.Headers.UserAgent.ToString().StartsWith("Mozilla/", StringComparison.Ordinal))
            {
                throw ApiError.Forbidden.ToException();
            }

            await RouteAsync(context, ct).ConfigureAwait(false);
        }
        catch (ApiException e)
        {
            await WriteAsync(context, e.Status, new ErrorJson(e.Message, e.Status)).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The client went away; nobody to answer.
        }
        catch (Exception e)
        {
            await WriteAsync(context, 500, new ErrorJson(e.Message, 500)).ConfigureAwait(false);
        }
    }

    private Task RouteAsync(HttpContext context, CancellationToken ct)
    {
        var method = context.Request.Method;
        var update = method is "POST" or "PATCH";
        var segments = (context.Request.Path.Value ?? "/").Trim('/').Split('/');
        return segments switch
        {
            ["version"] when method == "GET" => VersionAsync(context),
            ["reset"] when method == "POST" => ResetAsync(context, ct),
            ["populate"] when method == "POST" => PopulateAsync(context, ct),
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
            ["version"] or ["reset"] or ["populate"] or ["proxies", ..] when segments.Length <= 4 =>
                throw new ApiException("method not allowed", 405),
            _ => throw new ApiException("not found", 404),
        };
    }

    private static async Task VersionAsync(HttpContext context)
    {
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync(ToxiproxyServer.Version).ConfigureAwait(false);
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
        var (proxy, enabled) = ReadProxy(RequestBody.Object(await RequestBody.ReadAsync(context.Request.Body, ct).ConfigureAwait(false)), null);
        await proxies.AddAsync(proxy, enabled, ct).ConfigureAwait(false);
        await WriteAsync(context, 201, await ProxyJson.FromAsync(proxy, ct).ConfigureAwait(false)).ConfigureAwait(false);
    }

    private async Task PopulateAsync(HttpContext context, CancellationToken ct)
    {
        var body = await RequestBody.ReadAsync(context.Request.Body, ct).ConfigureAwait(false);
        var created = await PopulateAsync(proxies, body, ct).ConfigureAwait(false);
        await WriteAsync(context, 201, new PopulateJson(created)).ConfigureAwait(false);
    }

    /// <summary>Validates the whole array first, then creates or replaces proxy by proxy.</summary>
    internal static async Task<IReadOnlyList<ProxyJson>> PopulateAsync(ProxyCollection proxies, JsonElement body, CancellationToken ct)
    {
        if (body.ValueKind != JsonValueKind.Array)
        {
            throw ApiError.BadRequestBody.With("expected a JSON array of proxies");
        }

        var wanted = body.EnumerateArray().Select((element, i) => ReadProxy(RequestBody.Object(element, $"proxy {i + 1}"), i + 1)).ToList();
        var result = new List<ProxyJson>();
        foreach (var (proxy, enabled) in wanted)
        {
            var kept = await proxies.AddOrReplaceAsync(proxy, enabled, ct).ConfigureAwait(false);
            result.Add(await ProxyJson.FromAsync(kept, ct).ConfigureAwait(false));
        }

        return result;
    }

    private static (Proxy Proxy, bool Enabled) ReadProxy(JsonElement body, int? position)
    {
        var at = position is null ? "" : $" at proxy {position}";
        var name = RequestBody.String(body, "name");
        var upstream = RequestBody.String(body, "upstream");
        if (string.IsNullOrEmpty(name))
        {
            throw ApiError.MissingField.With("name" + at);
        }

        if (string.IsNullOrEmpty(upstream))
        {
            throw ApiError.MissingField.With("upstream" + at);
        }

        var listen = RequestBody.String(body, "listen") ?? "";
        return (new Proxy(name, listen, upstream), RequestBody.Bool(body, "enabled") ?? true);
    }

    private async Task ShowProxyAsync(HttpContext context, string name, CancellationToken ct)
    {
        var proxy = await proxies.GetAsync(name, ct).ConfigureAwait(false);
        await WriteAsync(context, 200, await ProxyJson.FromAsync(proxy, ct).ConfigureAwait(false)).ConfigureAwait(false);
    }

    private async Task UpdateProxyAsync(HttpContext context, string name, CancellationToken ct)
    {
        var proxy = await proxies.GetAsync(name, ct).ConfigureAwait(false);
        var body = RequestBody.Object(await RequestBody.ReadAsync(context.Request.Body, ct).ConfigureAwait(false));
        await proxy.UpdateAsync(
            RequestBody.String(body, "listen"),
            RequestBody.String(body, "upstream"),
            RequestBody.Bool(body, "enabled"),
            ct).ConfigureAwait(false);
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
        var body = RequestBody.Object(await RequestBody.ReadAsync(context.Request.Body, ct).ConfigureAwait(false));

        // Checked in Toxiproxy's order: stream, name default, type, then attributes.
        var streamText = RequestBody.String(body, "stream") ?? "downstream";
        if (!StreamDirections.TryParse(streamText, out var direction))
        {
            throw ApiError.InvalidStream.ToException();
        }

        var type = RequestBody.String(body, "type") ?? "";
        var toxicName = RequestBody.String(body, "name");
        if (string.IsNullOrEmpty(toxicName))
        {
            toxicName = $"{type}_{direction.ToWire()}";
        }

        if (!ToxicRegistry.IsKnown(type))
        {
            throw ApiError.InvalidToxicType.ToException();
        }

        var toxicity = Toxicity(RequestBody.Number(body, "toxicity") ?? 1.0);
        var toxic = ToxicRegistry.Create(type, RequestBody.Field(body, "attributes"));
        var added = await proxy.Toxics.AddAsync(new ToxicDefinition(toxicName, type, direction, toxicity, toxic), ct).ConfigureAwait(false);
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
        var body = RequestBody.Object(await RequestBody.ReadAsync(context.Request.Body, ct).ConfigureAwait(false));
        var toxicity = RequestBody.Number(body, "toxicity");
        var attributes = RequestBody.Field(body, "attributes");
        var updated = await proxy.Toxics.UpdateAsync(
            toxicName,
            old => old with
            {
                Toxicity = toxicity is { } t ? Toxicity(t) : old.Toxicity,
                Toxic = ToxicRegistry.Create(old.Type, attributes, old.Toxic),
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

    private static double Toxicity(double value) =>
        value is >= 0 and <= 1 ? value : throw ApiError.BadRequestBody.With("toxicity must be between 0 and 1");

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
}
