using System.Text.Json.Serialization;

namespace Chaos.Harness.Proxy;

/// <summary>A toxic to add. Name defaults (server side) to <c>type_stream</c>.</summary>
public sealed record ToxicSpec(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("attributes")] IReadOnlyDictionary<string, long> Attributes)
{
    /// <summary>The toxic's name on its proxy; null: the server names it type_stream.</summary>
    [JsonPropertyName("name")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Name { get; init; }

    /// <summary>Which way it acts (default downstream, as in Toxiproxy).</summary>
    [JsonPropertyName("stream")]
    public ToxicStream Stream { get; init; } = ToxicStream.Downstream;

    /// <summary>The probability (0 to 1) that it applies to a connection.</summary>
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
