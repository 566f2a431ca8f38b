using System.Text.Json.Serialization;

namespace Chaos.Harness.Proxy;

/// <summary>Which way a toxic acts: upstream = client to server, downstream = server to client.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ToxicStream>))]
public enum ToxicStream
{
    [JsonStringEnumMemberName("upstream")]
    Upstream,

    [JsonStringEnumMemberName("downstream")]
    Downstream,
}

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

/// <summary>A toxic as the server reports it.</summary>
public sealed record ToxicInfo(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("stream")] ToxicStream Stream,
    [property: JsonPropertyName("toxicity")] double Toxicity,
    [property: JsonPropertyName("attributes")] IReadOnlyDictionary<string, long> Attributes);

/// <summary>A toxic to add. Name defaults (server side) to <c>type_stream</c>.</summary>
public sealed record ToxicSpec(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("attributes")] IReadOnlyDictionary<string, long> Attributes)
{
    [JsonPropertyName("name")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Name { get; init; }

    [JsonPropertyName("stream")]
    public ToxicStream Stream { get; init; } = ToxicStream.Downstream;

    [JsonPropertyName("toxicity")]
    public double Toxicity { get; init; } = 1.0;

    /// <summary>Delays each chunk by <paramref name="ms"/> ± <paramref name="jitter"/>.</summary>
    public static ToxicSpec Latency(long ms, long jitter = 0, ToxicStream stream = ToxicStream.Downstream) =>
        new("latency", new Dictionary<string, long> { ["latency"] = ms, ["jitter"] = jitter }) { Stream = stream };

    /// <summary>Caps throughput at <paramref name="kbPerSec"/> KB/s.</summary>
    public static ToxicSpec Bandwidth(long kbPerSec, ToxicStream stream = ToxicStream.Downstream) =>
        new("bandwidth", new Dictionary<string, long> { ["rate"] = kbPerSec }) { Stream = stream };

    /// <summary>Holds back the close of the connection by <paramref name="ms"/>.</summary>
    public static ToxicSpec SlowClose(long ms, ToxicStream stream = ToxicStream.Downstream) =>
        new("slow_close", new Dictionary<string, long> { ["delay"] = ms }) { Stream = stream };

    /// <summary>Drops all data; closes after <paramref name="ms"/>, or never when 0 (a black hole).</summary>
    public static ToxicSpec Timeout(long ms, ToxicStream stream = ToxicStream.Downstream) =>
        new("timeout", new Dictionary<string, long> { ["timeout"] = ms }) { Stream = stream };

    /// <summary>On the next data, waits <paramref name="ms"/> then resets the connection (TCP RST).</summary>
    public static ToxicSpec ResetPeer(long ms = 0, ToxicStream stream = ToxicStream.Downstream) =>
        new("reset_peer", new Dictionary<string, long> { ["timeout"] = ms }) { Stream = stream };

    /// <summary>Cuts data into pieces of <paramref name="averageSize"/> ± <paramref name="sizeVariation"/> bytes, <paramref name="delayMicroseconds"/> apart.</summary>
    public static ToxicSpec Slicer(long averageSize, long sizeVariation, long delayMicroseconds, ToxicStream stream = ToxicStream.Downstream) =>
        new("slicer", new Dictionary<string, long> { ["average_size"] = averageSize, ["size_variation"] = sizeVariation, ["delay"] = delayMicroseconds }) { Stream = stream };

    /// <summary>Closes the connection once <paramref name="bytes"/> bytes have passed.</summary>
    public static ToxicSpec LimitData(long bytes, ToxicStream stream = ToxicStream.Downstream) =>
        new("limit_data", new Dictionary<string, long> { ["bytes"] = bytes }) { Stream = stream };
}

/// <summary>A Toxiproxy API call that did not succeed: the server's status and message.</summary>
public sealed class ToxiproxyException(int status, string serverMessage, string request)
    : Exception($"Toxiproxy {request} failed: {status} {serverMessage}")
{
    public int Status { get; } = status;

    public string ServerMessage { get; } = serverMessage;
}
