using Chaos.Harness.Checking;
using Chaos.Harness.Matrix;
using Spectre.Console;

namespace Chaos.Harness.Reports;

/// <summary>
/// The matrix on the terminal: a table colored by verdict and a one-line summary. Every cell also
/// carries its symbol and verdict word, so the table reads the same when output is redirected and
/// Spectre.Console drops the colors.
/// </summary>
public static class ConsoleTable
{
    public static void Render(IAnsiConsole console, MatrixResult result, BaselineDiff? baseline = null)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(result);
        var grid = new MatrixGrid(result);
        var plain = !console.Profile.Capabilities.Ansi;

        if (grid.Faults.Count > 0)
        {
            var table = new Table
            {
                // Box-drawing characters turn into mojibake in some CI log viewers; ASCII when not a terminal.
                Border = plain ? TableBorder.Ascii : TableBorder.Rounded,
            };
            table.AddColumn(new TableColumn("fault \\ profile"));
            foreach (var profile in grid.Profiles)
                table.AddColumn(new TableColumn(Markup.Escape(profile)));
            foreach (var fault in grid.Faults)
            {
                var row = new List<Markup> { new(Markup.Escape(fault)) };
                foreach (var profile in grid.Profiles)
                    row.Add(new Markup(grid.Find(fault, profile) is { } cell ? CellMarkup(cell, baseline) : ""));
                table.AddRow(row);
            }
            console.Write(table);
        }
        else
        {
            console.WriteLine("No cells were run.");
        }

        var regressions = result.Cells.Count(c => c.IsRegression) + (baseline?.Changed.Count ?? 0);
        var summaryStyle = regressions > 0 ? "bold red" : "bold green";
        console.MarkupLine($"[{summaryStyle}]{Markup.Escape(Figures.Summary(result, baseline))}[/]");
        if (baseline is not null)
            foreach (var line in baseline.Describe())
                console.MarkupLine($"  {Markup.Escape(line)}");
    }

    private static string CellMarkup(CellResult cell, BaselineDiff? baseline)
    {
        // "not-applicable" is the widest word and the commonest in some rows; "n/a" keeps a full
        // matrix from wrapping every such cell in the middle of the word.
        var word = cell.Verdict == Verdict.NotApplicable ? "n/a" : cell.Verdict.ToWire();
        var text = Markup.Escape($"{VerdictStyle.Symbol(cell.Verdict)} {word}");
        var notes = new List<string>();
        if (cell.IsRegression)
            notes.Add($"expected {cell.Expected!.Value.ToWire()}");
        if (baseline?.Find(cell.Fault, cell.Profile) is { } change)
            notes.Add($"was {change.Old.ToWire()}");
        var markup = $"[{VerdictStyle.ConsoleStyle(cell.Verdict)}]{text}[/]";
        return notes.Count == 0 ? markup : $"{markup} [bold underline]({Markup.Escape(string.Join(", ", notes))})[/]";
    }
}
