using System.Text.Json.Serialization;

namespace Toxiproxy.Toxics;

/// <summary>
/// On the first data after it is in place (or the end of its input), drops that data, waits
/// timeout ms and closes the connection, as Toxiproxy 2.12's ResetToxic does. The close is a TCP
/// RST only on connections opened while the toxic was on the proxy (see
/// <see cref="IAbortiveCloseToxic"/>); a connection that was already open is closed with a FIN,
/// because Toxiproxy sets linger 0 only when a link starts. Once triggered it cannot be called
/// off: removing or changing the toxic meanwhile still closes the connection when the time is up
/// (Toxiproxy's removal waits for it; ours returns at once and lets it happen).
/// </summary>
internal sealed class ResetPeerToxic : IToxic, IAbortiveCloseToxic
{
    [JsonPropertyName("timeout")]
    public long Timeout { get; init; }

    public async Task PipeAsync(ToxicStub stub)
    {
        if (await stub.ReadAsync() is null && !stub.InputEnded)
        {
            return;
        }

        // From here the link is doomed: no chain change touches it, so nothing interrupts this
        // wait; only the connection closing cuts it short.
        stub.Doom();
        await stub.DelayUninterruptedAsync(ToxicTime.Milliseconds(Timeout));
        stub.Close();
    }
}
