using System.CommandLine;
using Chaos.Harness.Reports;
using Chaos.Harness.Servers;
using Spectre.Console;

namespace Chaos.Harness.Cli;

/// <summary>
/// The `chaos` command line. Exit codes: 0 everything as expected, 1 a regression or a failed
/// expectation, 2 bad input or a machine that needs fixing (one line, never a stack trace).
/// </summary>
public static class ChaosCli
{
    public const int Ok = 0;
    public const int Regression = 1;
    public const int BadInput = 2;

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
        var root = new RootCommand("Chaos: which Npgsql pool configuration survives which PostgreSQL failure.")
        {
            MatrixCommand.Create(console),
            ReproCommand.Create(console),
            ListCommand.Create(console),
            ProxyCommand.Create(error),
            BenchCommand.Create(console),
            ServerHoldCommand.Create(),
        };

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            await error.WriteLineAsync($"chaos: {parsed.Errors[0].Message} (see 'chaos --help')");
            return BadInput;
        }

        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(ct);
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }, cancel.Token);
        }
        catch (Exception e) when (e is UsageException or ServerSetupException or MatrixFileException or NeedsManagedServerException)
        {
            await error.WriteLineAsync($"chaos: {e.Message}");
            return BadInput;
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            await error.WriteLineAsync("chaos: cancelled; servers and temporary directories were cleaned up");
            return 130;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    /// <summary>Splits "a,b, c" into names; empty means none given.</summary>
    internal static IReadOnlyList<string> List(string? text) =>
        text is null ? [] : [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
}
