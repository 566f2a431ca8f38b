using Chaos.Harness.History;
using Chaos.Harness.Workload;

namespace Chaos.Harness.Scenarios;

/// <summary>One step of a scenario: what the workload or the fault does next.</summary>
internal abstract record Step;

/// <summary>Stop new requests and wait (bounded) until none is in flight: every pooled connection is idle.</summary>
internal sealed record Pause : Step;

/// <summary>Let the workload's requests go again.</summary>
internal sealed record Resume : Step;

/// <summary>Wait: part of the fault's definition (an idle period, a window), never a synchronisation.</summary>
internal sealed record Hold(TimeSpan For) : Step;

/// <summary>Strike with <paramref name="Nemesis"/> now; opens a fault window.</summary>
internal sealed record Inject(INemesis Nemesis) : Step;

/// <summary>
/// Strike with <paramref name="Nemesis"/> while the next write transaction waits at <paramref name="At"/>,
/// so a request is in flight when it lands; with <paramref name="Isolate"/> every other request is held
/// back first, so exactly one transaction is struck. Opens a fault window.
/// </summary>
internal sealed record InjectAtHook(INemesis Nemesis, HookPoint At, bool Isolate) : Step;

/// <summary>Wait (bounded) until the struck transaction's attempt has failed or the request has ended.</summary>
internal sealed record AwaitStruckFailure : Step;

/// <summary>Undo the newest unhealed injection and close its window.</summary>
internal sealed record Heal : Step;

/// <summary>Run <paramref name="Count"/> extra requests of <paramref name="Kind"/> at once on every instance, and wait for them.</summary>
internal sealed record Burst(OpKind Kind, int Count) : Step;
