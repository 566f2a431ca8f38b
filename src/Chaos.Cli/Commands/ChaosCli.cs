using System.Runtime.InteropServices;
using Chaos.Harness;
using System.CommandLine;
using Chaos.Harness.Reports;
using Chaos.Harness.Servers;
using Spectre.Console;

namespace Chaos.Cli;

/// <summary>
/// The `chaos` command line. Exit codes: 0 everything as expected, 1 a regression or a failed
/// expectation, 2 bad input or a machine that needs fixing (one line, never a stack trace), 130 stopped
/// by Ctrl+C (SIGINT), 143 stopped by SIGTERM; a stopped matrix still writes the cells that finished.
/// </summary>
internal static class ChaosCli
{
    public const int Ok = 0;
    public const int Regression = 1;
    public const int BadInput = 2;

    public const int Interrupted = 130;
    public const int Terminated = 143;

    public static async Task<int> RunAsync(string[] args, IAnsiConsole? console = null, TextWriter? error = null, CancellationToken ct = default)
    {
        // Colour only for a person at a terminal; CI logs and files get plain text.
        console ??= AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = Console.IsOutputRedirected ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = Console.IsOutputRedirected ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
            Interactive = Console.IsOutputRedirected ? InteractionSupport.No : InteractionSupport.Detect,
        });
        if (Console.IsOutputRedirected)
        {
            console.Profile.Width = 240; // a CI log has no width; the 80 Spectre assumes wraps every matrix row
        }
        error ??= Console.Error;
        var root = CreateRoot(console, error);

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            await error.WriteLineAsync($"chaos: {ParseError(parsed, root)}");
            return BadInput;
        }

        // Ctrl+C and SIGTERM (what CI runners and `timeout` send) both stop the run the same way: cancel,
        // let every cell tear its servers down, write what finished, exit with the signal's conventional code.
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var stoppedBy = 0;
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            Interlocked.CompareExchange(ref stoppedBy, context.Signal == PosixSignal.SIGTERM ? Terminated : Interrupted, 0);
            cancel.Cancel();
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var handled = Harness.Servers.Termination.HandledByHost();
        // SIGHUP (a closed terminal) still kills the servers at once; the library leaves signals alone unless asked.
        Harness.Servers.Internal.RunRegistry.EnableSignalCleanup();
        try
        {
            var code = await parsed.InvokeAsync(new InvocationConfiguration
            {
                EnableDefaultExceptionHandler = false,
                // The signals are ours (above): System.CommandLine's own handler, on by default, also answers SIGTERM
                // and, when both ran, threw InvalidOperationException from a second SetResult: exit 134.
                ProcessTerminationTimeout = null,
            }, cancel.Token);
            if (cancel.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                await error.WriteLineAsync($"chaos: stopped by {SignalName(stoppedBy)}; servers and temporary directories were cleaned up");
                return stoppedBy == 0 ? Interrupted : stoppedBy;
            }
            return code;
        }
        catch (Exception e) when (e is UsageException or ServerSetupException or MatrixFileException or NeedsManagedServerException)
        {
            await error.WriteLineAsync($"chaos: {e.Message}");
            return BadInput;
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            await error.WriteLineAsync($"chaos: stopped by {SignalName(stoppedBy)}; servers and temporary directories were cleaned up");
            return stoppedBy == 0 ? Interrupted : stoppedBy;
        }
    }

    /// <summary>Every command; also what the workflow test parses the nightly's command lines with.</summary>
    internal static RootCommand CreateRoot(IAnsiConsole console, TextWriter error) =>
        new("Chaos: which Npgsql pool configuration survives which PostgreSQL failure.")
        {
            MatrixCommand.Create(console),
            MergeCommand.Create(console),
            CompareCommand.Create(console),
            ReproCommand.Create(console),
            ListCommand.Create(console),
            ProxyCommand.Create(error),
            BenchCommand.Create(console),
            ServerHoldCommand.Create(),
            ContainerHoldCommand.Create(),
        };

    private static string SignalName(int code) => code == Terminated ? "SIGTERM" : "Ctrl+C";

    /// <summary>One line for the first parse error, in the harness's words where System.CommandLine's name .NET types or say too little.</summary>
    private static string ParseError(ParseResult parsed, RootCommand root)
    {
        var commands = string.Join(", ", root.Subcommands.Where(c => !c.Hidden).Select(c => c.Name));
        var tokens = parsed.Tokens;
        if (tokens.Count == 0)
        {
            return $"give a command: {commands} (see 'chaos --help')";
        }
        if (parsed.CommandResult.Command == root && tokens[0].Type != System.CommandLine.Parsing.TokenType.Option)
        {
            return $"unknown command '{tokens[0].Value}'; commands: {commands} (see 'chaos --help')";
        }
        var command = parsed.CommandResult.Command;
        if (Needs.TryGetValue(command.Name, out var needs) && parsed.Errors[0].Message.StartsWith("Required argument '", StringComparison.Ordinal))
        {
            return $"{command.Name} needs {needs} (see 'chaos {command.Name} --help')";
        }
        return $"{parsed.Errors[0].Message} (see 'chaos {command.Name} --help')";
    }

    // What a command's arguments are, for the line a missing one gets instead of System.CommandLine's argument names.
    private static readonly Dictionary<string, string> Needs = new()
    {
        ["merge"] = "the shards' matrix.json files or folders holding them: chaos merge PATH...",
        ["compare"] = "two matrix files: chaos compare A.json B.json",
    };

    /// <summary>Splits "a,b, c" into names; empty means none given.</summary>
    internal static IReadOnlyList<string> List(string? text) =>
        text is null ? [] : [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
}
