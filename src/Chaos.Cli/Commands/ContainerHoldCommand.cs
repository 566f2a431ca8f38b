using System.CommandLine;
using Chaos.Harness.Servers;
using Chaos.Harness.Servers.Containers;

namespace Chaos.Cli;

/// <summary>
/// The hidden <c>__container-hold</c> command: starts one container server (CHAOS_PG_IMAGE), prints where it is,
/// and waits (bounded) to be killed. The reaping tests kill -9 it to leave an orphaned container behind.
/// </summary>
internal static class ContainerHoldCommand
{
    public const string Name = "__container-hold";

    public static Command Create()
    {
        var command = new Command(Name) { Hidden = true };
        command.SetAction(async (_, ct) =>
        {
            await using var server = (ContainerServer)await ServerBackend.Containers(Environment.GetEnvironmentVariable("CHAOS_PG_IMAGE")).StartAsync(new PostgresOptions(), ct);
            await Console.Out.WriteLineAsync($"container={server.ContainerId} run={server.RunId} port={server.Port}");
            await Console.Out.FlushAsync(ct);
            try { await Task.Delay(TimeSpan.FromMinutes(5), ct); }
            catch (OperationCanceledException) { }
            return 0;
        });
        return command;
    }
}
