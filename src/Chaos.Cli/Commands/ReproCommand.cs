using Chaos.Harness;
using System.CommandLine;
using Chaos.Harness.Checking;
using Chaos.Harness.Faults;
using Chaos.Harness.Matrix;
using Chaos.Harness.Profiles;
using Chaos.Harness.Proxy;
using Chaos.Harness.Reports;
using Chaos.Harness.Servers;
using Spectre.Console;

namespace Chaos.Cli;

/// <summary>`chaos repro`: one scenario with the timeline of what happened, to reproduce a production disconnect.</summary>
internal static class ReproCommand
{
    private static readonly string[] Quiet = ["retry", "note"];

    public static Command Create(IAnsiConsole console)
    {
        var fault = new Option<string>("--fault") { Description = "The fault to inject (see 'chaos list').", Required = true };
        var profile = new Option<string?>("--profile") { Description = "A built-in profile." };
        var settings = new Option<string?>("--settings") { Description = "Your own Npgsql settings instead of a profile, e.g. \"Maximum Pool Size=5;Keepalive=10\"." };
        var verbose = new Option<bool>("--verbose") { Description = "Show every timeline event, retries and notes included." };
        var servers = new ServersOptions();
        var command = new Command("repro", "Run one fault against one profile (or your own settings) and show its timeline.")
        {
            fault, profile, settings, verbose,
        };
        servers.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var chosen = (parse.GetValue(profile), parse.GetValue(settings)) switch
            {
                ({ } name, null) => ProfileCatalog.Select([name])[0],
                (null, { } own) => ProfileCatalog.Custom("your-settings", own),
                (null, null) => throw new UsageException("give --profile NAME or --settings \"<npgsql settings>\""),
                _ => throw new UsageException("give either --profile or --settings, not both"),
            };
            var theFault = FaultCatalog.Get(parse.GetValue(fault)!);
            var backend = servers.Backend(parse);
            console.MarkupLineInterpolated($"[bold]{theFault.Name}[/]: {theFault.Description}");
            console.MarkupLineInterpolated($"[bold]{chosen.Name}[/]: {chosen.SettingsText}{chosen.PolicyText}");

            await using var proxy = await ProxyHost.StartAsync(ct);
            var cell = (await MatrixRunner.RunCellAsync(theFault, chosen, backend, proxy.Client, ct)).ToRecord();
            Render(console, cell, parse.GetValue(verbose));
            return cell.IsRegression ? ChaosCli.Regression : ChaosCli.Ok;
        });
        return command;
    }

    internal static void Render(IAnsiConsole console, CellRecord cell, bool verbose)
    {
        var table = new Table().Border(TableBorder.Simple).AddColumn("ms").AddColumn("what").AddColumn("detail").AddColumn("SQLSTATE");
        var events = verbose ? cell.Timeline : cell.Timeline.Where(e => !Quiet.Contains(e.Kind)).ToList();
        foreach (var e in events)
        {
            table.AddRow(
                new Text($"{e.AtMs:0}"),
                new Text(e.Kind),
                new Text(e.Detail),
                new Text(e.SqlState ?? ""));
        }
        console.Write(table);
        if (!verbose && events.Count < cell.Timeline.Count)
        {
            console.MarkupLineInterpolated($"[grey]({cell.Timeline.Count - events.Count} retry and note events hidden; --verbose shows them)[/]");
        }
        var style = VerdictStyle.ConsoleStyle(cell.Verdict);
        console.MarkupLine($"verdict: [{style}]{cell.Verdict.ToWire()}[/] - {Markup.Escape(cell.Reason)}");
        console.MarkupLineInterpolated($"[grey]{Figures.Line(cell)}[/]");
        if (cell.Expected is { } expected)
        {
            var how = cell.IsRegression ? $"[red]expected {Figures.Expected(cell)}[/]" : "[green]as expected[/]";
            console.MarkupLine($"{how}: {Markup.Escape(cell.ExpectedReason ?? "")}");
        }
    }
}
