using System.Text.Json.Serialization;

namespace Chaos.Harness.Proxy;

/// <summary>A proxy as the server reports it.</summary>
public sealed record ProxyInfo(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("listen")] string Listen,
    [property: JsonPropertyName("upstream")] string Upstream,
    [property: JsonPropertyName("enabled")] bool Enabled,
    IReadOnlyList<ToxicInfo> Toxics,
    [property: JsonPropertyName("connections")] int? Connections)
{
    /// <summary>The proxy's toxics; empty (never null) when the server leaves them out.</summary>
    [JsonPropertyName("toxics")]
    public IReadOnlyList<ToxicInfo> Toxics { get; init; } = Toxics ?? [];

    /// <summary>The port clients connect to (the real one, even when created with port 0).</summary>
    public int ListenPort => int.Parse(Listen.AsSpan(Listen.LastIndexOf(':') + 1), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The listen host, without IPv6 brackets.</summary>
    public string ListenHost => Listen[..Listen.LastIndexOf(':')].Trim('[', ']');
}
