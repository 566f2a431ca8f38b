namespace Chaos.Harness.History;

/// <summary>Jepsen's three outcomes, plus the harness's own observation that a request never came back.</summary>
internal enum Outcome
{
    /// <summary>The application saw success.</summary>
    Ok,

    /// <summary>The application saw an error, and the operation definitely did not take effect.</summary>
    Fail,

    /// <summary>An error during COMMIT: the operation may or may not have taken effect.</summary>
    Unknown,

    /// <summary>Still running <see cref="Timing.HangAfter"/> after it was invoked (or when the history was taken).</summary>
    Hung,
}
