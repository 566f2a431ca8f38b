using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Toxiproxy.Api;

namespace Toxiproxy.Toxics;

/// <summary>Toxic types by wire name, and the mapping between a toxic and its JSON <c>attributes</c>.</summary>
internal static class ToxicRegistry
{
    /// <summary>Each type with the name of its Go struct (error messages name it) and its attributes' Go type.</summary>
    private static readonly Dictionary<string, Entry> Types = new()
    {
        ["latency"] = new(typeof(LatencyToxic), "LatencyToxic", GoKind.Int64),
        ["bandwidth"] = new(typeof(BandwidthToxic), "BandwidthToxic", GoKind.Int64),
        ["slow_close"] = new(typeof(SlowCloseToxic), "SlowCloseToxic", GoKind.Int64),
        ["timeout"] = new(typeof(TimeoutToxic), "TimeoutToxic", GoKind.Int64),
        ["reset_peer"] = new(typeof(ResetPeerToxic), "ResetToxic", GoKind.Int64),
        ["slicer"] = new(typeof(SlicerToxic), "SlicerToxic", GoKind.Int),
        ["limit_data"] = new(typeof(LimitDataToxic), "LimitDataToxic", GoKind.Int64),
    };

    private static readonly JsonSerializerOptions Options = new()
    {
        NumberHandling = JsonNumberHandling.Strict,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
    };

    public static bool IsKnown(string type) => Types.ContainsKey(type);

    /// <summary>"toxics.LatencyToxic", as Go names the type attributes are decoded into.</summary>
    public static string GoTypeName(string type) => "toxics." + Types[type].GoName;

    /// <summary>
    /// Builds a toxic of <paramref name="type"/> from <paramref name="attributes"/> laid over
    /// <paramref name="basis"/> (the current settings, on update), as Go decodes JSON into the
    /// toxic's struct: any integer is taken (negative ones too: each toxic says what they mean),
    /// unknown attributes are ignored, a value of the wrong type is a 400 in Go's words.
    /// </summary>
    public static IToxic Create(string type, JsonElement attributes = default, IToxic? basis = null)
    {
        var entry = Types[type];
        var merged = basis is null ? new JsonObject() : (JsonObject)JsonSerializer.SerializeToNode(basis, entry.Type, Options)!;
        if (attributes.ValueKind == JsonValueKind.Object)
        {
            foreach (var (name, value) in GoJson.Bind(attributes, entry.GoName, "attributes.", entry.Fields))
            {
                merged[name] = value.GetInt64();
            }
        }

        return (IToxic)merged.Deserialize(entry.Type, Options)!;
    }

    public static JsonElement Attributes(IToxic toxic) => JsonSerializer.SerializeToElement(toxic, toxic.GetType(), Options);

    private sealed record Entry(Type Type, string GoName, GoKind Kind)
    {
        public GoField[] Fields { get; } =
        [
            .. Type.GetProperties()
                .Select(p => p.GetCustomAttribute<JsonPropertyNameAttribute>())
                .OfType<JsonPropertyNameAttribute>()
                .Select(a => new GoField(a.Name, Kind)),
        ];
    }
}
