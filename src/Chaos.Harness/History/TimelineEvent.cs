namespace Chaos.Harness.History;

/// <summary>One thing that happened during a cell, for the timeline a report shows.</summary>
/// <param name="AtMs">Milliseconds since the history began.</param>
/// <param name="Kind">One of <see cref="TimelineKinds.All"/>.</param>
/// <param name="Detail">Human-readable text.</param>
/// <param name="SqlState">The SQLSTATE of an error, when it had one.</param>
public sealed record TimelineEvent(double AtMs, string Kind, string Detail, string? SqlState = null);

/// <summary>The kinds of timeline event the harness writes; docs/matrix-schema.md lists the same.</summary>
public static class TimelineKinds
{
    /// <summary>The workload started, paused, resumed, held requests back or stopped.</summary>
    public const string Phase = "phase";

    /// <summary>A fault window opened.</summary>
    public const string Fault = "fault";

    /// <summary>A fault window closed.</summary>
    public const string Heal = "heal";

    /// <summary>The harness or the application's policy found a connection broken (a kill, a failed validation or health check).</summary>
    public const string Broken = "broken";

    /// <summary>A request failed (the first few of a cell).</summary>
    public const string Error = "error";

    /// <summary>A request's COMMIT outcome is unknown.</summary>
    public const string Unknown = "unknown";

    /// <summary>The application's retry policy runs a request again.</summary>
    public const string Retry = "retry";

    /// <summary>A request outlived the hang threshold.</summary>
    public const string Hung = "hung";

    /// <summary>A request got back data that was not its own.</summary>
    public const string Corrupted = "corrupted";

    /// <summary>Anything else worth knowing: toxics added, unknown COMMITs resolved, a heal that failed.</summary>
    public const string Note = "note";

    /// <summary>Every kind above.</summary>
    public static IReadOnlyList<string> All { get; } = [Phase, Fault, Heal, Broken, Error, Unknown, Retry, Hung, Corrupted, Note];
}
