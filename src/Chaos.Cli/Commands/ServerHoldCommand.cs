using System.CommandLine;


namespace Chaos.Cli;

/// <summary>Hidden: starts a cluster and waits, so the tests can kill a run that owns a server and check the next run reaps it.</summary>
internal static class ServerHoldCommand
{
    public static Command Create()
    {
        var command = new Command(ServerHold.Command) { Hidden = true };
        command.SetAction((_, ct) => ServerHold.RunAsync(Console.Out, ct));
        return command;
    }
}
