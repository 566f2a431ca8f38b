using Chaos.Cli;
using Spectre.Console;

namespace Chaos.Tests.Support;

/// <summary>Runs the `chaos` command line in-process on a plain, 250-column console, as the CLI tests read it.</summary>
public static class CliRun
{
    public static async Task<(int Code, string Output, string Error)> RunAsync(string[] args, TimeSpan bound)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        console.Profile.Width = 250;
        using var timeout = new CancellationTokenSource(bound);
        var code = await ChaosCli.RunAsync(args, console, error, timeout.Token);
        return (code, output.ToString(), error.ToString());
    }
}
