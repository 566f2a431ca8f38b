namespace Toxiproxy.Toxics;

/// <summary>
/// A toxic: settings (serialized as its <c>attributes</c>) plus the logic that moves chunks from
/// its stub's input to its output. <see cref="PipeAsync"/> must return promptly when the stub is
/// interrupted (<see cref="ToxicStub.ReadAsync"/> returns null, <see cref="ToxicStub.DelayAsync"/>
/// false), forwarding any chunk or part of a chunk it still holds first: the chain is being
/// rebuilt and must not lose bytes. <see cref="ToxicStub.WriteAsync"/> never fails because of an
/// interrupt (it keeps what it cannot pass on yet), so forwarding is always just a write.
/// Settings take any integer, as in Toxiproxy; each toxic says what an odd one (negative, zero) does.
/// </summary>
internal interface IToxic
{
    Task PipeAsync(ToxicStub stub);
}

/// <summary>A toxic that keeps per-connection state across interruptions (e.g. a byte count).</summary>
internal interface IStatefulToxic
{
    object NewState();
}

/// <summary>
/// A toxic with something to do when it is removed from a live connection (toxic deleted, or
/// <c>/reset</c>), as Toxiproxy's CleanupToxic: called after the stub is interrupted, before the
/// chain is joined again. A cleanup that closes the stub ends the connection instead.
/// </summary>
internal interface ICleanupToxic
{
    void Cleanup(ToxicStub stub);
}

/// <summary>
/// A toxic whose presence when a connection opens makes that connection close abortively (TCP RST,
/// SO_LINGER 0) whenever and however it closes, for the rest of its life: Toxiproxy's
/// ToxicLink.Start sets linger 0 on both sockets when the chain holds a reset_peer toxic.
/// Connections already open when the toxic is added keep closing with FIN.
/// </summary>
internal interface IAbortiveCloseToxic
{
}

internal static class ToxicTime
{
    /// <summary>Longest single wait: Task.Delay takes at most about 49 days; a longer setting waits this long.</summary>
    private static readonly TimeSpan Longest = TimeSpan.FromDays(30);

    /// <summary>A duration attribute as Go's time.After takes it: negative or zero is "now".</summary>
    public static TimeSpan Milliseconds(long value) =>
        value <= 0 ? TimeSpan.Zero : value >= Longest.TotalMilliseconds ? Longest : TimeSpan.FromMilliseconds(value);

    public static TimeSpan Microseconds(long value) =>
        value <= 0 ? TimeSpan.Zero : value >= Longest.TotalMicroseconds ? Longest : TimeSpan.FromMicroseconds(value);
}
