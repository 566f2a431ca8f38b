namespace Toxiproxy.Toxics;

/// <summary>
/// A toxic: settings (serialized as its <c>attributes</c>) plus the logic that moves chunks from
/// its stub's input to its output. <see cref="PipeAsync"/> must return promptly when the stub is
/// interrupted (<see cref="ToxicStub.ReadAsync"/> returns null, <see cref="ToxicStub.DelayAsync"/>
/// false), forwarding any chunk or part of a chunk it still holds first: the chain is being
/// rebuilt and must not lose bytes. <see cref="ToxicStub.WriteAsync"/> never fails because of an
/// interrupt (it keeps what it cannot pass on yet), so forwarding is always just a write.
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

/// <summary>A toxic whose attributes have limits; returns an error message, or null when valid.</summary>
internal interface IValidatedToxic
{
    string? Validate();
}

internal static class ToxicLimits
{
    /// <summary>Any duration attribute beyond an hour is a typo, not a test.</summary>
    public const long MaxMilliseconds = 3_600_000;

    public static string? Duration(string name, long value, long max = MaxMilliseconds) =>
        value < 0 || value > max ? $"{name} must be between 0 and {max}" : null;
}
