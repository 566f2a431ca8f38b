using Chaos.Harness.Network;
using Chaos.Harness.Servers;

namespace Chaos.Harness.Environments;

/// <summary>
/// A primary, its streaming standby, and the writer endpoint in front of whichever is primary now. Which
/// server is which changes as faults promote and demote them; the environment's final read and its
/// administration follow <see cref="Primary"/>.
/// <code>
///   app ──► proxy ──► writer endpoint ──► primary ══ WAL ══► standby
///   app (multi-host) ──────────────────► primary, standby (Target Session Attributes decides)
/// </code>
/// </summary>
internal sealed class ReplicatedPair
{
    internal ReplicatedPair(ManagedServer primary, ManagedServer standby, ServiceEndpoint endpoint, bool synchronous)
    {
        Servers = [primary, standby];
        Primary = primary;
        Standby = standby;
        Endpoint = endpoint;
        Synchronous = synchronous;
    }

    /// <summary>The server that takes writes now.</summary>
    public ManagedServer Primary { get; private set; }

    /// <summary>The other server: a standby, or a former primary that is down.</summary>
    public ManagedServer Standby { get; private set; }

    public ServiceEndpoint Endpoint { get; }

    public bool Synchronous { get; }

    /// <summary>Both servers, in the order the application's multi-host connection string names them (first primary first).</summary>
    public IReadOnlyList<ManagedServer> Servers { get; }

    /// <summary>Promotes the standby (after its primary failed): it is the primary from now on, and the writer endpoint points at it.</summary>
    public async Task PromoteStandbyAsync(CancellationToken ct)
    {
        await Standby.PromoteAsync(ct);
        (Primary, Standby) = (Standby, Primary);
        MoveEndpointToPrimary();
    }

    /// <summary>
    /// A planned switchover: the primary is shut down (fast: its sessions get 57P01, its last WAL reaches
    /// the standby), the standby promoted, and the former primary started again as a standby of the new
    /// one. The writer endpoint is not moved: the platform does that later (<see cref="MoveEndpointToPrimary"/>),
    /// and until then new connections reach the former primary, now read-only.
    /// </summary>
    public async Task SwitchoverAsync(CancellationToken ct)
    {
        var former = Primary;
        await former.StopAsync(StopMode.Fast, ct);
        await Standby.PromoteAsync(ct);
        (Primary, Standby) = (Standby, Primary);
        await former.StartAsStandbyOfAsync(Primary, ct);
    }

    /// <summary>The writer endpoint points at the primary again: new connections reach it.</summary>
    public void MoveEndpointToPrimary() => Endpoint.MoveTo(Primary.Host, Primary.Port);
}
