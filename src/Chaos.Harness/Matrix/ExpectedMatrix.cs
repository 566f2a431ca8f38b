using Chaos.Harness.Checking;
using Chaos.Harness.Expectations;
using Chaos.Harness.Environments;
using Chaos.Harness.Faults;
using Chaos.Harness.Profiles;
using Chaos.Harness.Servers;

namespace Chaos.Harness.Matrix;

/// <summary>
/// The asserted matrix: every built-in fault against every built-in profile, in the reference
/// environment (managed servers, the fault proxy). A cell whose verdict differs is a regression for the
/// tests and for `chaos matrix` (exit code 1). Profiles of the user's own have no expectation: the rules
/// were checked against the built-in ones only.
/// </summary>
internal static class ExpectedMatrix
{
    /// <summary>The environment the expectations were measured in: managed servers on a machine with the kernel network path (root).</summary>
    public static ServerBackend ReferenceServers => ServerBackend.ManagedReference;

    public static IReadOnlyList<Expectation> All { get; } =
        [.. from f in FaultCatalog.All from p in ProfileCatalog.All select Derive(f, p)];

    /// <summary>The expectation for a built-in cell; null for a fault or profile that is not built in.</summary>
    public static Expectation? For(string fault, string profile) =>
        All.FirstOrDefault(e => e.Fault == fault && e.Profile == profile);

    private static Expectation Derive(IFault fault, Profile profile)
    {
        var capabilities = fault.Environment(CellEnvironments.For(profile)).Capabilities(ReferenceServers);
        if (Capabilities.Missing(fault.Needs | profile.Needs, capabilities) is { } why)
        {
            return new Expectation(fault.Name, profile.Name, Verdict.NotApplicable, why);
        }
        var (verdict, reason, or) = fault.Expected.For(profile.Traits);
        return new Expectation(fault.Name, profile.Name, verdict, reason, or);
    }
}
