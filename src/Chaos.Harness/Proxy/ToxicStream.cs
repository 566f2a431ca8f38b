using System.Text.Json;
using System.Text.Json.Serialization;

namespace Chaos.Harness.Proxy;

/// <summary>Which way a toxic acts: upstream = client to server, downstream = server to client.</summary>
[JsonConverter(typeof(ToxicStreamConverter))]
public enum ToxicStream
{
    /// <summary>Client to server.</summary>
    Upstream,
    /// <summary>Server to client.</summary>
    Downstream,
}

/// <summary>
/// Writes "upstream"/"downstream"; reads them in any case, because Toxiproxy accepts a stream in
/// any case and reports it back as it was written ("UPSTREAM").
/// </summary>
internal sealed class ToxicStreamConverter : JsonConverter<ToxicStream>
{
    public override ToxicStream Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.GetString()?.ToLowerInvariant() switch
        {
            "upstream" => ToxicStream.Upstream,
            "downstream" => ToxicStream.Downstream,
            var other => throw new JsonException($"unknown toxic stream \"{other}\""),
        };

    public override void Write(Utf8JsonWriter writer, ToxicStream value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value == ToxicStream.Upstream ? "upstream" : "downstream");
}
