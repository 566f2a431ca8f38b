using System.Text.Json.Serialization;

namespace Toxiproxy.Toxics;

/// <summary>Lets data flow, but holds back the end of the stream by delay ms.</summary>
internal sealed class SlowCloseToxic : IToxic
{
    [JsonPropertyName("delay")]
    public long Delay { get; init; }

    public async Task PipeAsync(ToxicStub stub)
    {
        while (await stub.ReadAsync() is { } chunk)
        {
            await stub.WriteAsync(chunk);
        }

        if (stub.InputEnded)
        {
            // Returning ends the stream; wait first (the connection closing cuts this short).
            await stub.DelayAsync(ToxicTime.Milliseconds(Delay));
        }
    }
}
