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
