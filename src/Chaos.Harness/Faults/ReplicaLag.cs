using Chaos.Harness.Environments;
using Chaos.Harness.Expectations;
using Chaos.Harness.Scenarios;
using Chaos.Harness.Workload;
using static Chaos.Harness.Checking.Verdict;

namespace Chaos.Harness.Faults;

/// <summary>
/// Replay on the standby pauses while writes go on (a long query holding replay back, a busy replica):
/// an application that reads from the standby reads data older than its own acknowledged writes.
/// </summary>
internal sealed class ReplicaLag : IFault
{
    public string Name => "replica-lag";
    public string Description => $"WAL replay on the standby paused for {Timing.FaultHold.TotalSeconds:0} s while every request writes and reads its own write back.";
    public WorkloadSpec Workload => new(Mix: WorkMix.ReadYourWrites);

    public EnvironmentSpec Environment(EnvironmentSpec spec) => spec with { Standby = new StandbySpec() };

    public Scenario Scenario { get; } = Scenario.Window(Nemesis.Of(Capability.Replication, async (target, ct) =>
    {
        var standby = target.Environment.Replication!.Standby;
        await standby.SetReplayPausedAsync(true, ct);
        return new Injection("replay paused on the standby", "replay resumed", token => standby.SetReplayPausedAsync(false, token));
    }), Timing.FaultHold);

    public ExpectationRules Expected { get; } = ExpectationRules
        .Otherwise(Survived, "reads go to the primary, which has every committed write; the standby's lag is invisible")
        .When(t => t.ReadsFromStandby, Corrupted, "reads routed to the standby (Target Session Attributes=prefer-standby) miss the request's own acknowledged writes while replay is paused: read-your-writes is broken");
}
