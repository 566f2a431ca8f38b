using Chaos.Harness.Workload;

namespace Chaos.Harness.Scenarios;

/// <summary>
/// The steps around a fault, as data. One <see cref="ScenarioRunner"/> runs every scenario and writes the
/// fault and heal marks; a scenario may open several fault windows.
/// <code>
///   warm-up ─┬─ steps: pause, inject (window opens), hold, heal (window closes), resume ... ─┬─ after
///            FaultAt                                                                       HealAt (the last)
/// </code>
/// </summary>
internal sealed record Scenario(IReadOnlyList<Step> Steps)
{
    public static Scenario Of(params Step[] steps) => new(steps);

    /// <summary>Strike, hold the fault for <paramref name="hold"/>, heal.</summary>
    public static Scenario Window(INemesis nemesis, TimeSpan hold) => Of(new Inject(nemesis), new Hold(hold), new Heal());

    /// <summary>
    /// Strike one write transaction alone at <paramref name="point"/>: every other request is held back,
    /// the struck attempt fails (a retry may follow), the fault is healed, and the others go on.
    /// </summary>
    public static Scenario StrikeOneTransaction(INemesis nemesis, HookPoint point) =>
        Of(new InjectAtHook(nemesis, point, Isolate: true), new AwaitStruckFailure(), new Heal(), new Resume());

    /// <summary>Everything the scenario's nemeses need.</summary>
    public Capability Needs => Steps.Aggregate(Capability.None, (needs, step) => needs | step switch
    {
        Inject i => i.Nemesis.Needs,
        InjectAtHook h => h.Nemesis.Needs,
        _ => Capability.None,
    });
}
