using Chaos.Harness;
using Chaos.Harness.Checking;
using Chaos.Harness.Faults;
using Chaos.Harness.Matrix;
using Chaos.Harness.Profiles;
using Chaos.Harness.Proxy;
using Chaos.Harness.Servers;
using FluentAssertions;
using NUnit.Framework;

namespace Chaos.Tests.Network;

/// <summary>
/// The kernel network path as the matrix sees it: a capability of the machine. Where it is missing (a
/// non-root run) its cells are not-applicable with the reason and the fix, they are no regression, and
/// nothing else about any cell changes. Nothing here starts a server.
/// </summary>
public class KernelNetworkCellsTests
{
    private static readonly string[] s_kernelFaults =
        ["network-partition", "one-way-partition", "idle-flow-drop", "idle-flow-reset", "connect-timeout", "packet-loss"];

    [Test]
    public void The_kernel_faults_need_the_kernel_network_path_and_nothing_else_does()
    {
        FaultCatalog.All.Where(f => f.Needs.HasFlag(Capability.KernelNetwork)).Select(f => f.Name).Should().BeEquivalentTo(s_kernelFaults);
    }

    [Test]
    public void Without_the_capability_the_reason_names_the_fix()
    {
        Capabilities.Missing(Capability.KernelNetwork, Capability.None, "managed").Should()
            .Contain("CAP_NET_ADMIN").And.Contain("run as root, or with sudo");
        Capabilities.Missing(Capability.KernelNetwork, Capability.None).Should().Contain("CAP_NET_ADMIN");
        Capabilities.Missing(Capability.KernelNetwork, Capability.None, "containers").Should().Contain("use --servers managed");
        Capabilities.Missing(Capability.KernelNetwork, Capability.KernelNetwork, "managed").Should().BeNull();
    }

    [Test]
    public async Task A_run_without_the_kernel_network_path_reports_its_cells_not_applicable_with_the_reason_and_no_regression()
    {
        // The cell is refused before anything starts: the proxy is never called.
        var proxy = new ToxiproxyClient(new Uri("http://127.0.0.1:9/"));
        foreach (var name in s_kernelFaults)
        {
            foreach (var profile in ProfileCatalog.Select(["npgsql-defaults", "pooled-via-pgbouncer"]))
            {
                var cell = await MatrixRunner.RunCellAsync(FaultCatalog.Get(name), profile, ServerBackend.ManagedWithoutKernelNetwork, proxy, CancellationToken.None);

                cell.Verdict.Should().Be(Verdict.NotApplicable, $"{name} x {profile.Name} needs the kernel network path");
                cell.Judgement.Reason.Should().Contain("CAP_NET_ADMIN");
                cell.Expected.Should().BeNull("a machine without the kernel path is not the reference machine: no regression");
                cell.IsRegression.Should().BeFalse();
            }
        }
    }

    [Test]
    public void Without_the_kernel_network_path_every_other_cell_is_what_it_was()
    {
        foreach (var fault in FaultCatalog.All.Where(f => !f.Needs.HasFlag(Capability.KernelNetwork)))
        {
            foreach (var profile in ProfileCatalog.All)
            {
                var spec = fault.Environment(CellEnvironments.For(profile));
                var needs = fault.Needs | profile.Needs;
                Capabilities.Missing(needs, spec.Capabilities(ServerBackend.ManagedWithoutKernelNetwork), "managed").Should()
                    .Be(Capabilities.Missing(needs, spec.Capabilities(ExpectedMatrix.ReferenceServers), "managed"), $"{fault.Name} x {profile.Name}");
            }
        }
    }

    [Test]
    public void The_reference_machine_runs_every_kernel_cell()
    {
        // Multi-host profiles need a standby, which the kernel path does not wire: those are not-applicable for that reason alone.
        var singleServer = ProfileCatalog.All.Where(p => !p.Needs.HasFlag(Capability.Replication)).Select(p => p.Name).ToHashSet();
        ExpectedMatrix.All.Where(e => s_kernelFaults.Contains(e.Fault) && singleServer.Contains(e.Profile)).Should().OnlyContain(e => e.Verdict != Verdict.NotApplicable,
            "the expectations were measured as root, where every single-server profile meets every kernel fault");
        ExpectedMatrix.All.Where(e => s_kernelFaults.Contains(e.Fault) && !singleServer.Contains(e.Profile)).Should().OnlyContain(e => e.Reason.Contains("a primary and a standby"));
    }
}
