using System.Text.Json.Serialization;

namespace Chaos.Harness.Proxy;

/// <summary>A toxic as the server reports it.</summary>
public sealed record ToxicInfo(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("stream")] ToxicStream Stream,
    [property: JsonPropertyName("toxicity")] double Toxicity,
    [property: JsonPropertyName("attributes")] IReadOnlyDictionary<string, long> Attributes);
