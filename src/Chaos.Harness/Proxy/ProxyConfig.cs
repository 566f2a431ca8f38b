using System.Text.Json.Serialization;

namespace Chaos.Harness.Proxy;

/// <summary>A proxy to create: <paramref name="Listen"/> may use port 0 for a free port.</summary>
public sealed record ProxyConfig(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("listen")] string Listen,
    [property: JsonPropertyName("upstream")] string Upstream,
    [property: JsonPropertyName("enabled")] bool Enabled = true);

/// <summary>A partial proxy update; null fields are left as they are.</summary>
public sealed record ProxyUpdate(
    [property: JsonPropertyName("listen"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Listen = null,
    [property: JsonPropertyName("upstream"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Upstream = null,
    [property: JsonPropertyName("enabled"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? Enabled = null);
