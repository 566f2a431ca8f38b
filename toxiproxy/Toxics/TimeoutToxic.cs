using System.Text.Json.Serialization;

namespace Toxiproxy.Toxics;

/// <summary>
/// Swallows all data. Closes the connection once timeout ms pass with no data arriving (every chunk
/// restarts the wait, as Toxiproxy's select on a fresh time.After does); with timeout 0 or less it
/// never closes by itself: a black hole, where the socket stays open and nothing passes. The end of
/// its input closes the connection. Removing it (or <c>/reset</c>) closes every connection it was
/// on, as Toxiproxy's TimeoutToxic.Cleanup does: what it swallowed is gone, so the stream cannot go on.
/// </summary>
internal sealed class TimeoutToxic : IToxic, ICleanupToxic
{
    [JsonPropertyName("timeout")]
    public long Timeout { get; init; }

    public async Task PipeAsync(ToxicStub stub)
    {
        var timeout = ToxicTime.Milliseconds(Timeout);
        while (true)
        {
            var read = stub.ReadWithin(Timeout > 0 ? timeout : null);
            switch (await read)
            {
                case ReadResult.Chunk:
                    // Dropped on purpose.
                    continue;
                case ReadResult.TimedOut:
                case ReadResult.Ended:
                    stub.Close();
                    return;
                default:
                    return;
            }
        }
    }

    public void Cleanup(ToxicStub stub) => stub.Close();
}
