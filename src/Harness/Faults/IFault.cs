using Chaos.Harness.Profiles;
using Chaos.Harness.Servers;
using Chaos.Harness.Workload;

namespace Chaos.Harness.Faults;

/// <summary>
/// One failure mode, injected on purpose (Jepsen's nemesis). A fault scripts its own window inside the
/// scenario: it marks when it struck (<see cref="Ledger.MarkFault"/>) and when it was healed
/// (<see cref="Ledger.MarkHeal"/>), and <see cref="HealAsync"/> undoes it again, idempotently, in the final
/// phase whatever happened. One fault, one file.
/// </summary>
public interface IFault
{
    /// <summary>Kebab-case name used in reports and on the command line.</summary>
    string Name { get; }

    /// <summary>One line for `chaos list`: what production failure this is.</summary>
    string Description { get; }

    /// <summary>Faults that stop, freeze or signal the server cannot run against an attached server.</summary>
    bool NeedsManagedServer => false;

    /// <summary>What the application does while the fault happens.</summary>
    WorkloadSpec Workload => WorkloadSpec.Default;

    /// <summary>Why this fault makes no sense for <paramref name="profile"/>, or null when it applies.</summary>
    string? NotApplicableTo(Profile profile) => null;

    /// <summary>Server settings this fault needs (e.g. a low max_connections).</summary>
    PostgresOptions Server(PostgresOptions options) => options;

    /// <summary>PgBouncer settings this fault needs, for profiles routed through PgBouncer.</summary>
    PgBouncerOptions Bouncer(PgBouncerOptions options) => options;

    /// <summary>Injects the fault, holds it for its window, and heals it, marking both in the ledger.</summary>
    Task InjectAsync(FaultContext context, CancellationToken ct);

    /// <summary>Undoes whatever is left of the fault. Runs in the final phase even after a failure; must be idempotent.</summary>
    Task HealAsync(FaultContext context, CancellationToken ct);
}
