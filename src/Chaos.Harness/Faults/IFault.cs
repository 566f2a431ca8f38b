using Chaos.Harness.Environments;
using Chaos.Harness.Expectations;
using Chaos.Harness.Scenarios;
using Chaos.Harness.Workload;

namespace Chaos.Harness.Faults;

/// <summary>
/// One failure mode, in one file: what it needs of the environment, its nemesis (what it does to the
/// environment), its scenario (what the workload does around it) and its expected verdicts as rules.
/// A fault never drives the workload itself, and keeps no state between cells.
/// </summary>
internal interface IFault
{
    /// <summary>Kebab-case name used in reports and on the command line.</summary>
    string Name { get; }

    /// <summary>One line for `chaos list`: what production failure this is.</summary>
    string Description { get; }

    /// <summary>What the environment must be able to do; the cell is not-applicable where it cannot.</summary>
    Capability Needs => Scenario.Needs;

    /// <summary>What the application does while the fault happens.</summary>
    WorkloadSpec Workload => WorkloadSpec.Default;

    /// <summary>
    /// The most sessions the cell opens at once (its workers, and a burst's requests): the matrix runs fewer
    /// such cells side by side (<see cref="Matrix.CellSlots"/>), since each new session costs a server process.
    /// </summary>
    int PeakSessions => Workload.Workers * Workload.Instances;

    /// <summary>The environment this fault needs, from the one the profile asks for (server settings, PgBouncer's).</summary>
    EnvironmentSpec Environment(EnvironmentSpec spec) => spec;

    /// <summary>The steps around the fault, with its nemesis.</summary>
    Scenario Scenario { get; }

    /// <summary>The verdict each profile is expected to get, and why.</summary>
    ExpectationRules Expected { get; }
}
