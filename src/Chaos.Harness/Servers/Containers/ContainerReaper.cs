using System.Text.RegularExpressions;
using Chaos.Harness.Servers.Internal;

namespace Chaos.Harness.Servers.Containers;

/// <summary>
/// Removes what dead runs left on the Docker engine. With Testcontainers' own reaper (Ryuk) disabled, which it
/// must be where its image cannot be pulled, a run killed with SIGKILL leaves its containers running. Every
/// container, network and volume the harness creates carries <c>chaos.run=&lt;run id&gt;</c> and
/// <c>chaos.host=&lt;machine&gt;</c>; the first container a process starts calls this, after RunRegistry has
/// reaped the dead runs' directories, and everything of this machine whose run is not live goes:
/// containers with their anonymous volumes (docker rm -f -v: the image's VOLUME carries no label), then
/// networks, then named volumes.
/// </summary>
internal static partial class ContainerReaper
{
    public sealed record Reaped(int Containers, int Networks, int Volumes)
    {
        public int Total => Containers + Networks + Volumes;
    }

    public static async Task<Reaped> ReapAsync(DockerEngine engine, CancellationToken ct) =>
        await ReapAsync(engine, RunRegistry.IsLive, ct);

    internal static async Task<Reaped> ReapAsync(DockerEngine engine, Func<string, bool> isLive, CancellationToken ct)
    {
        bool Dead(IDictionary<string, string>? labels) =>
            labels is not null
            && labels.TryGetValue(ContainerLabels.Host, out var host) && host == ContainerLabels.ThisHost
            && labels.TryGetValue(ContainerLabels.Run, out var run) && RunId().IsMatch(run) && !isLive(run);

        var containers = (await engine.ContainersLabelledAsync(ContainerLabels.Run, ct)).Where(c => Dead(c.Labels)).ToList();
        foreach (var container in containers) await engine.RemoveAsync(container.ID, ct);

        var networks = (await engine.NetworksLabelledAsync(ContainerLabels.Run, ct)).Where(n => Dead(n.Labels)).ToList();
        foreach (var network in networks)
        {
            using var bound = DockerEngine.Bounded(ct);
            try { await engine.Client.Networks.DeleteNetworkAsync(network.ID, bound.Token); }
            catch (Docker.DotNet.DockerApiException) { /* gone already, or still in use by a container another reaper is removing */ }
        }

        var volumes = (await engine.VolumesLabelledAsync(ContainerLabels.Run, ct)).Where(v => Dead(v.Labels)).ToList();
        foreach (var volume in volumes)
        {
            using var bound = DockerEngine.Bounded(ct);
            try { await engine.Client.Volumes.RemoveAsync(volume.Name, force: true, bound.Token); }
            catch (Docker.DotNet.DockerApiException) { }
        }
        return new Reaped(containers.Count, networks.Count, volumes.Count);
    }

    // RunRegistry's ids ("20261201-192301-4242"); anything else under the label is not a run of ours to judge.
    [GeneratedRegex("^[0-9A-Za-z][0-9A-Za-z_-]{0,99}$")]
    private static partial Regex RunId();
}
