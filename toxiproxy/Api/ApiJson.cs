using System.Text.Json;
using System.Text.Json.Serialization;
using Toxiproxy.Toxics;

namespace Toxiproxy.Api;

/// <summary>A proxy as the API shows it. <c>connections</c> is ours: open client connections right now.</summary>
internal sealed record ProxyJson(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("listen")] string Listen,
    [property: JsonPropertyName("upstream")] string Upstream,
    [property: JsonPropertyName("enabled")] bool Enabled,
    [property: JsonPropertyName("toxics")] IReadOnlyList<ToxicJson> Toxics,
    [property: JsonPropertyName("connections")] int Connections)
{
    public static async Task<ProxyJson> FromAsync(Proxy proxy, CancellationToken ct) =>
        new(proxy.Name, proxy.Listen, proxy.Upstream, proxy.Enabled,
            [.. (await proxy.Toxics.GetAllAsync(ct).ConfigureAwait(false)).Select(ToxicJson.From)],
            proxy.ConnectionCount);
}

internal sealed record ToxicJson(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("stream")] string Stream,
    [property: JsonPropertyName("toxicity")] double Toxicity,
    [property: JsonPropertyName("attributes")] JsonElement Attributes)
{
    public static ToxicJson From(ToxicDefinition toxic) =>
        new(toxic.Name, toxic.Type, toxic.Direction.ToWire(), toxic.Toxicity, ToxicRegistry.Attributes(toxic.Toxic));
}

internal sealed record ErrorJson(
    [property: JsonPropertyName("error")] string Error,
    [property: JsonPropertyName("status")] int Status);

internal sealed record PopulateJson([property: JsonPropertyName("proxies")] IReadOnlyList<ProxyJson> Proxies);

/// <summary>Typed reads from a request body, each failure a 400 with the field named.</summary>
internal static class RequestBody
{
    public static async Task<JsonElement> ReadAsync(Stream body, CancellationToken ct)
    {
        try
        {
            using var document = await JsonDocument.ParseAsync(body, default, ct).ConfigureAwait(false);
            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw ApiError.BadRequestBody.With(e.Message);
        }
    }

    public static JsonElement Object(JsonElement element, string what = "request body")
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw ApiError.BadRequestBody.With($"{what} must be a JSON object");
        }

        return element;
    }

    public static string? String(JsonElement body, string field) =>
        Field(body, field) switch
        {
            null => null,
            { ValueKind: JsonValueKind.String } value => value.GetString(),
            _ => throw ApiError.BadRequestBody.With($"{field} must be a string"),
        };

    public static bool? Bool(JsonElement body, string field) =>
        Field(body, field) switch
        {
            null => null,
            { ValueKind: JsonValueKind.True } => true,
            { ValueKind: JsonValueKind.False } => false,
            _ => throw ApiError.BadRequestBody.With($"{field} must be true or false"),
        };

    public static double? Number(JsonElement body, string field) =>
        Field(body, field) switch
        {
            null => null,
            { ValueKind: JsonValueKind.Number } value => value.GetDouble(),
            _ => throw ApiError.BadRequestBody.With($"{field} must be a number"),
        };

    public static JsonElement? Field(JsonElement body, string field) =>
        body.TryGetProperty(field, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;
}
