using Chaos.Harness.Proxy;

namespace Chaos.Harness.Scenarios;

/// <summary>
/// What a fault does to the environment (Jepsen's nemesis): it strikes, says what it struck, and returns
/// its heal. It acts on the environment only, through <see cref="FaultTarget"/>; what the workload does
/// around it is the fault's <see cref="Scenarios.Scenario"/>.
/// </summary>
internal interface INemesis
{
    /// <summary>The capabilities the environment must have for this nemesis to strike.</summary>
    Capability Needs { get; }

    Task<Injection> InjectAsync(FaultTarget target, CancellationToken ct);
}

/// <summary>What a nemesis did, and how to undo it.</summary>
/// <param name="Detail">What struck, for the fault mark on the timeline.</param>
/// <param name="HealDetail">What the heal means, for the heal mark.</param>
/// <param name="Heal">Undoes the fault; null when there is nothing to undo (a kill, a restart that is over).</param>
/// <param name="Missed">Set when the nemesis struck nothing it should have: the cell then cannot be judged.</param>
internal sealed record Injection(string Detail, string HealDetail, Func<CancellationToken, Task>? Heal = null, string? Missed = null)
{
    /// <summary>
    /// Completes when the fault has done its work and may be healed (a mid-transaction reset: once the struck
    /// transaction is over). The testing API heals by itself then; a scenario heals at its Heal step instead.
    /// </summary>
    public Func<CancellationToken, Task>? HealsWhen { get; init; }
}

/// <summary>Nemeses made from a function, so a fault's nemesis is a few lines in the fault's own file.</summary>
internal static class Nemesis
{
    public static INemesis Of(Capability needs, Func<FaultTarget, CancellationToken, Task<Injection>> inject) => new Delegated(needs, inject);

    /// <summary>Adds <paramref name="toxics"/> to the environment's proxy; the heal removes every toxic.</summary>
    /// <param name="detail">What struck, from the target (a victim's op id, say).</param>
    public static INemesis Toxics(Func<FaultTarget, string> detail, string healDetail, params ToxicSpec[] toxics) =>
        new Delegated(Capability.Toxics, async (target, ct) =>
        {
            var what = detail(target);
            foreach (var toxic in toxics)
            {
                await target.AddToxicAsync(toxic, ct);
            }
            return new Injection(what, healDetail, target.Proxy.ClearAsync);
        });

    /// <summary>
    /// Puts <paramref name="rule"/> on the database host's side of the link (the kernel network path); the heal
    /// clears it, and packets flow again.
    /// </summary>
    public static INemesis Kernel(Network.Kernel.NetworkRule rule, string detail, string healDetail) =>
        new Delegated(Capability.KernelNetwork, async (target, ct) =>
        {
            await target.NetworkHost.ApplyAsync(rule, ct);
            target.Note($"nft rule {rule.Name} applied on database host {target.NetworkHost.Namespace}");
            return new Injection(detail, healDetail, target.NetworkHost.ClearAsync);
        });

    /// <summary>A window with no action: the fault is in the environment's settings or the scenario's load.</summary>
    public static INemesis Mark(string detail, string healDetail) => new Marked(detail, healDetail);

    /// <summary>True for <see cref="Mark"/>: the fault lives in the settings or the workload's load, so it strikes no one else's connections.</summary>
    internal static bool IsMark(INemesis nemesis) => nemesis is Marked;

    private sealed class Marked(string detail, string healDetail) : INemesis
    {
        public Capability Needs => Capability.None;
        public Task<Injection> InjectAsync(FaultTarget target, CancellationToken ct) => Task.FromResult(new Injection(detail, healDetail));
    }

    private sealed class Delegated(Capability needs, Func<FaultTarget, CancellationToken, Task<Injection>> inject) : INemesis
    {
        public Capability Needs => needs;
        public Task<Injection> InjectAsync(FaultTarget target, CancellationToken ct) => inject(target, ct);
    }
}
