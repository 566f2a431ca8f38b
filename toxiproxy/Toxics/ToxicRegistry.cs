using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Toxiproxy.Api;

namespace Toxiproxy.Toxics;

/// <summary>Toxic types by wire name, and the mapping between a toxic and its JSON <c>attributes</c>.</summary>
internal static class ToxicRegistry
{
    private static readonly Dictionary<string, Type> Types = new()
    {
        ["latency"] = typeof(LatencyToxic),
        ["bandwidth"] = typeof(BandwidthToxic),
        ["slow_close"] = typeof(SlowCloseToxic),
        ["timeout"] = typeof(TimeoutToxic),
        ["reset_peer"] = typeof(ResetPeerToxic),
        ["slicer"] = typeof(SlicerToxic),
        ["limit_data"] = typeof(LimitDataToxic),
    };

    private static readonly JsonSerializerOptions Options = new()
    {
        NumberHandling = JsonNumberHandling.Strict,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
    };

    public static bool IsKnown(string type) => Types.ContainsKey(type);

    /// <summary>
    /// Builds a toxic of <paramref name="type"/> from <paramref name="attributes"/> laid over
    /// <paramref name="basis"/> (the current settings, on update). Attributes are integers.
    /// </summary>
    public static IToxic Create(string type, JsonElement? attributes, IToxic? basis = null)
    {
        var toxicType = Types[type];
        var merged = basis is null ? new JsonObject() : (JsonObject)JsonSerializer.SerializeToNode(basis, toxicType, Options)!;
        if (attributes is { ValueKind: not JsonValueKind.Null } given)
        {
            if (given.ValueKind != JsonValueKind.Object)
            {
                throw ApiError.BadRequestBody.With("attributes must be an object");
            }

            foreach (var property in given.EnumerateObject())
            {
                if (property.Value.ValueKind != JsonValueKind.Number || !property.Value.TryGetInt64(out _))
                {
                    throw ApiError.BadRequestBody.With($"attribute {property.Name} must be an integer");
                }

                merged[property.Name] = JsonNode.Parse(property.Value.GetRawText());
            }
        }

        IToxic toxic;
        try
        {
            toxic = (IToxic)merged.Deserialize(toxicType, Options)!;
        }
        catch (JsonException e)
        {
            throw ApiError.BadRequestBody.With(e.Message);
        }

        if (toxic is IValidatedToxic validated && validated.Validate() is { } problem)
        {
            throw ApiError.BadRequestBody.With(problem);
        }

        return toxic;
    }

    public static JsonElement Attributes(IToxic toxic) => JsonSerializer.SerializeToElement(toxic, toxic.GetType(), Options);
}
