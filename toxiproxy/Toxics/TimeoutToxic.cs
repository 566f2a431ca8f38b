using System.Text.Json.Serialization;

namespace Toxiproxy.Toxics;

/// <summary>
/// Swallows all data. Closes the connection after timeout ms; with timeout 0 it never closes:
/// a black hole, where the socket stays open and nothing passes.
/// </summary>
internal sealed class TimeoutToxic : IToxic, IValidatedToxic
{
    [JsonPropertyName("timeout")]
    public long Timeout { get; init; }

    public string? Validate() => ToxicLimits.Duration("timeout", Timeout);

    public async Task PipeAsync(ToxicStub stub)
    {
        var drain = DrainAsync(stub);
        if (Timeout > 0)
        {
            if (await stub.DelayAsync(TimeSpan.FromMilliseconds(Timeout)))
            {
                stub.Close();
            }
        }

        await drain;
    }

    private static async Task DrainAsync(ToxicStub stub)
    {
        while (await stub.ReadAsync() is not null)
        {
            // Dropped on purpose.
        }
    }
}
