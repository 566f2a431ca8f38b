using System.Text.Json.Serialization;

namespace Chaos.Harness.Checking;

/// <summary>The outcome of one cell (fault x profile). Wire names are kebab-case: <c>not-applicable</c>.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Verdict>))]
internal enum Verdict
{
    /// <summary>No error reached the application and the data is intact.</summary>
    [JsonStringEnumMemberName("survived")] Survived,

    /// <summary>A bounded number of errors, then healthy again; data intact.</summary>
    [JsonStringEnumMemberName("recovered")] Recovered,

    /// <summary>Still failing after the fault was healed.</summary>
    [JsonStringEnumMemberName("failed")] Failed,

    /// <summary>A request outlived the scenario deadline.</summary>
    [JsonStringEnumMemberName("hung")] Hung,

    /// <summary>An integrity check failed: a write lost, applied twice, or half applied.</summary>
    [JsonStringEnumMemberName("corrupted")] Corrupted,

    /// <summary>The cell makes no sense (for example a PgBouncer fault for a direct profile).</summary>
    [JsonStringEnumMemberName("not-applicable")] NotApplicable,

    /// <summary>The harness could not judge this cell (it crashed, or its fault struck nothing): no verdict about the product.</summary>
    [JsonStringEnumMemberName("error")] Error,
}

internal static class VerdictNames
{
    public static string ToWire(this Verdict verdict) => verdict switch
    {
        Verdict.Survived => "survived",
        Verdict.Recovered => "recovered",
        Verdict.Failed => "failed",
        Verdict.Hung => "hung",
        Verdict.Corrupted => "corrupted",
        Verdict.NotApplicable => "not-applicable",
        Verdict.Error => "error",
        _ => throw new ArgumentOutOfRangeException(nameof(verdict), verdict, null),
    };

    public static bool TryParse(string text, out Verdict verdict)
    {
        foreach (var v in Enum.GetValues<Verdict>())
        {
            if (string.Equals(v.ToWire(), text, StringComparison.OrdinalIgnoreCase))
            {
                verdict = v;
                return true;
            }
        }
        verdict = default;
        return false;
    }
}
