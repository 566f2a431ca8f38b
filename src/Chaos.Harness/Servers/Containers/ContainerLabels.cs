namespace Chaos.Harness.Servers.Containers;

/// <summary>The labels every container of the harness carries: what the reaper selects on.</summary>
internal static class ContainerLabels
{
    /// <summary>The run's id (RunRegistry's run directory name): a dead run's containers are reaped by it.</summary>
    public const string Run = "chaos.run";

    /// <summary>
    /// The machine that started the container. Run ids are only known to be dead on the machine whose
    /// run directories they name, so a reaper never touches another machine's containers on a shared engine.
    /// </summary>
    public const string Host = "chaos.host";

    public static string ThisHost => Environment.MachineName;
}
