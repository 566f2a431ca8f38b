using System.CommandLine;
using Chaos.Harness;
using Chaos.Harness.Faults;
using Chaos.Harness.Profiles;
using Chaos.Harness.Servers;
using Spectre.Console;

namespace Chaos.Cli;

/// <summary>`chaos list`: the faults and profiles, one line each.</summary>
internal static class ListCommand
{
    public static Command Create(IAnsiConsole console)
    {
        var command = new Command("list", "List the faults and profiles with one-line descriptions.");
        command.SetAction(_ =>
        {
            var faults = new Table().Border(TableBorder.Simple).AddColumn("fault").AddColumn("what happens");
            foreach (var fault in FaultCatalog.All)
            {
                faults.AddRow(new Text(fault.Name), new Text(fault.Description + (Chaos.Harness.Capabilities.Missing(fault.Needs, ServerBackend.Attached("").Capabilities) is null ? "" : " (needs a managed server)")));
            }
            var profiles = new Table().Border(TableBorder.Simple).AddColumn("profile").AddColumn("answers").AddColumn("what it does");
            foreach (var profile in ProfileCatalog.All)
            {
                profiles.AddRow(new Text(profile.Name), new Text(profile.Answers), new Text(profile.Description));
            }
            console.Write(faults);
            console.Write(profiles);
            return ChaosCli.Ok;
        });
        return command;
    }
}
