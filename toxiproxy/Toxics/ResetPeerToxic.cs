using System.Text.Json.Serialization;

namespace Toxiproxy.Toxics;

/// <summary>
/// On the first data after it is in place, waits timeout ms and then resets the connection:
/// TCP RST to both peers, unsent data discarded. Unlike Toxiproxy 2.x, which sends the RST only on
/// connections opened after the toxic was added (and a plain FIN on older ones), this resets
/// already-open connections too, as the toxic's name promises.
/// </summary>
internal sealed class ResetPeerToxic : IToxic, IValidatedToxic
{
    [JsonPropertyName("timeout")]
    public long Timeout { get; init; }

    public string? Validate() => ToxicLimits.Duration("timeout", Timeout);

    public async Task PipeAsync(ToxicStub stub)
    {
        if (await stub.ReadAsync() is not { } first)
        {
            return;
        }

        if (await stub.DelayAsync(TimeSpan.FromMilliseconds(Timeout)))
        {
            // The abortive close belongs to this toxic: the link only knows "abort".
            stub.Abort();
            return;
        }

        // Removed (or changed) before the reset was due: the data that triggered it was only
        // delayed, and belongs to the stream.
        await stub.WriteAsync(first);
    }
}
