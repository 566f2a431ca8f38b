using System.Diagnostics;

namespace Toxiproxy;

/// <summary>
/// A piece of a stream travelling through a toxic chain. It remembers when it arrived at the
/// proxy so that latency counts time already spent queued behind other toxics.
/// </summary>
internal sealed class StreamChunk(byte[] data, int length, long arrivedAt)
{
    public byte[] Data { get; } = data;

    public int Length { get; set; } = length;

    /// <summary><see cref="Stopwatch.GetTimestamp"/> when the bytes were read from the socket.</summary>
    public long ArrivedAt { get; set; } = arrivedAt;

    public ReadOnlyMemory<byte> Memory => Data.AsMemory(0, Length);

    public static StreamChunk Copy(ReadOnlySpan<byte> bytes, long arrivedAt) =>
        new(bytes.ToArray(), bytes.Length, arrivedAt);

    /// <summary>Time left until <paramref name="delay"/> has passed since arrival.</summary>
    public TimeSpan Remaining(TimeSpan delay)
    {
        var left = delay - Stopwatch.GetElapsedTime(ArrivedAt);
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }
}
