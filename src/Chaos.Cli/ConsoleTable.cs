using Chaos.Harness.Reports;
using Chaos.Harness.Checking;
using Spectre.Console;

namespace Chaos.Cli;

/// <summary>
/// The matrix on the terminal: a table colored by verdict and a one-line summary. Every cell also
/// carries its symbol and verdict word, so the table reads the same when output is redirected and
/// Spectre.Console drops the colors.
/// </summary>
/// <remarks>
/// The table is laid out for the console's width, and nothing is ever cut mid-word: first one table with
/// whole names and notes inline ("(expected recovered)"); if that is too wide, profile names wrap after a
/// hyphen, a cell with notes is starred with the notes listed below, and the profiles are split over as
/// few tables as fit (each repeating the fault column). At 80 columns the full matrix is five tables of
/// three profiles, at 120 three of five, in a 240-column CI log one.
/// </remarks>
internal static class ConsoleTable
{
    private const string Corner = "fault \\ profile";
    private const string Star = " *";

    public static void Render(IAnsiConsole console, MatrixRecord result, BaselineDiff? baseline = null)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(result);
        var grid = new MatrixGrid(result);
        var plain = !console.Profile.Capabilities.Ansi;

        if (grid.Faults.Count > 0)
        {
            var layout = Layout.For(grid, baseline, console.Profile.Width);
            foreach (var group in layout.Groups)
            {
                console.Write(Table(grid, baseline, layout, group, plain));
            }
            if (!layout.InlineNotes)
            {
                foreach (var cell in grid.Cells.Where(c => Notes(c, baseline).Count > 0))
                {
                    console.MarkupLine($"[bold]*[/] {Markup.Escape($"{cell.Fault} / {cell.Profile}: {string.Join(", ", Notes(cell, baseline))}")}");
                }
            }
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

    private static Table Table(MatrixGrid grid, BaselineDiff? baseline, Layout layout, IReadOnlyList<int> group, bool plain)
    {
        var table = new Table
        {
            // Box-drawing characters turn into mojibake in some CI log viewers; ASCII when not a terminal.
            Border = plain ? TableBorder.Ascii : TableBorder.Rounded,
        };
        if (layout.Groups.Count > 1)
        {
            table.Title = new TableTitle($"profiles {group[0] + 1}-{group[^1] + 1} of {grid.Profiles.Count}");
        }
        table.AddColumn(new TableColumn(new Markup(Markup.Escape(string.Join('\n', layout.FaultHeader)))) { Width = layout.FaultWidth, NoWrap = true });
        foreach (var i in group)
        {
            var header = layout.WrapNames ? Wrap(grid.Profiles[i], layout.ProfileWidths[i]) : [grid.Profiles[i]];
            table.AddColumn(new TableColumn(new Markup(Markup.Escape(string.Join('\n', header)))) { Width = layout.ProfileWidths[i], NoWrap = true });
        }
        foreach (var fault in grid.Faults)
        {
            var name = layout.WrapFaults ? string.Join('\n', Wrap(fault, layout.FaultWidth)) : fault;
            var row = new List<Markup> { new(Markup.Escape(name)) };
            foreach (var i in group)
            {
                row.Add(new Markup(grid.Find(fault, grid.Profiles[i]) is { } cell ? CellMarkup(cell, baseline, layout.InlineNotes) : ""));
            }
            table.AddRow(row);
        }
        return table;
    }

    /// <summary>How the matrix is drawn at one console width: which profiles go in which table, and how wide each column is.</summary>
    private sealed record Layout(
        bool InlineNotes,
        bool WrapNames,
        bool WrapFaults,
        IReadOnlyList<string> FaultHeader,
        int FaultWidth,
        IReadOnlyList<int> ProfileWidths,
        IReadOnlyList<IReadOnlyList<int>> Groups)
    {
        public static Layout For(MatrixGrid grid, BaselineDiff? baseline, int width)
        {
            var profiles = Enumerable.Range(0, grid.Profiles.Count).ToList();
            int Longest(IEnumerable<string> texts) => texts.Select(t => t.Length).DefaultIfEmpty(0).Max();
            IEnumerable<CellRecord> Column(int i) => grid.Faults.Select(f => grid.Find(f, grid.Profiles[i])).OfType<CellRecord>();

            // 1. One table, whole names, notes in the cell.
            var faultWidth = Math.Max(Corner.Length, Longest(grid.Faults));
            var whole = profiles.Select(i => Math.Max(grid.Profiles[i].Length, Longest(Column(i).Select(c => CellText(c, baseline, inline: true))))).ToList();
            if (Fits(faultWidth, whole, profiles, width))
            {
                return new Layout(true, false, false, [Corner], faultWidth, whole, [profiles]);
            }

            // 2. Names wrapped after hyphens, starred notes, as few tables as fit; 3. fault names wrapped too.
            var narrow = profiles.Select(i => Math.Max(Longest(Segments(grid.Profiles[i])), Longest(Column(i).Select(c => CellText(c, baseline, inline: false))))).ToList();
            foreach (var wrapFaults in new[] { false, true })
            {
                var header = wrapFaults ? new[] { "fault \\", "profile" } : [Corner];
                var fw = wrapFaults ? Math.Max(Longest(header), Longest(grid.Faults.SelectMany(Segments))) : faultWidth;
                if (Split(fw, narrow, width) is { } groups)
                {
                    return new Layout(false, true, wrapFaults, header, fw, narrow, groups);
                }
            }
            // Narrower than one fault and one profile: one profile per table, and the console does what it can.
            return new Layout(false, true, true, ["fault \\", "profile"], Longest(grid.Faults.SelectMany(Segments)), narrow, [.. profiles.Select(i => (IReadOnlyList<int>)[i])]);
        }

        // The fewest tables that fit, with the profiles spread evenly over them (5, 5, 4 rather than 6, 6, 2).
        private static IReadOnlyList<IReadOnlyList<int>>? Split(int faultWidth, IReadOnlyList<int> widths, int width)
        {
            for (var tables = 1; tables <= widths.Count; tables++)
            {
                var groups = Even(widths.Count, tables);
                if (groups.All(g => Fits(faultWidth, widths, g, width)))
                {
                    return groups;
                }
            }
            return null;
        }

        private static List<IReadOnlyList<int>> Even(int count, int tables)
        {
            var groups = new List<IReadOnlyList<int>>();
            var start = 0;
            for (var t = 0; t < tables; t++)
            {
                var size = (count - start + (tables - t) - 1) / (tables - t);
                groups.Add([.. Enumerable.Range(start, size)]);
                start += size;
            }
            return groups;
        }

        // Spectre's table: a border on each side and between columns, one space of padding either side of each.
        private static bool Fits(int faultWidth, IReadOnlyList<int> widths, IEnumerable<int> group, int width) =>
            1 + (faultWidth + 3) + group.Sum(i => widths[i] + 3) <= width;
    }

    /// <summary>
    /// <paramref name="name"/> in lines of at most <paramref name="width"/>, broken only after a hyphen:
    /// "no-pooling-via-pgbouncer" in 11 columns is "no-pooling-", "via-", "pgbouncer".
    /// </summary>
    internal static IReadOnlyList<string> Wrap(string name, int width)
    {
        var lines = new List<string>();
        var line = "";
        foreach (var segment in Segments(name))
        {
            if (line.Length > 0 && line.Length + segment.Length > width)
            {
                lines.Add(line);
                line = "";
            }
            line += segment;
        }
        lines.Add(line);
        return lines;
    }

    /// <summary>The pieces a name may break into: "no-pooling-via-pgbouncer" is "no-", "pooling-", "via-", "pgbouncer".</summary>
    internal static IReadOnlyList<string> Segments(string name)
    {
        var parts = new List<string>();
        var start = 0;
        for (var i = 0; i < name.Length; i++)
        {
            if (name[i] == '-' && i > start && i < name.Length - 1)
            {
                parts.Add(name[start..(i + 1)]);
                start = i + 1;
            }
        }
        parts.Add(name[start..]);
        return parts;
    }

    private static List<string> Notes(CellRecord cell, BaselineDiff? baseline)
    {
        var notes = new List<string>();
        if (cell.IsRegression)
            notes.Add($"expected {Figures.Expected(cell)}");
        if (baseline?.Find(cell.Fault, cell.Profile) is { } change)
            notes.Add($"was {change.Old.ToWire()}");
        return notes;
    }

    // "not-applicable" is the widest word and the commonest in some rows; "n/a" keeps a column narrow.
    private static string Word(CellRecord cell) =>
        $"{VerdictStyle.Symbol(cell.Verdict)} {(cell.Verdict == Verdict.NotApplicable ? "n/a" : cell.Verdict.ToWire())}";

    private static string CellText(CellRecord cell, BaselineDiff? baseline, bool inline)
    {
        var notes = Notes(cell, baseline);
        return notes.Count == 0 ? Word(cell) : inline ? $"{Word(cell)} ({string.Join(", ", notes)})" : Word(cell) + Star;
    }

    private static string CellMarkup(CellRecord cell, BaselineDiff? baseline, bool inline)
    {
        var markup = $"[{VerdictStyle.ConsoleStyle(cell.Verdict)}]{Markup.Escape(Word(cell))}[/]";
        var notes = Notes(cell, baseline);
        if (notes.Count == 0)
            return markup;
        return inline
            ? $"{markup} [bold underline]({Markup.Escape(string.Join(", ", notes))})[/]"
            : $"{markup}[bold]{Markup.Escape(Star)}[/]";
    }
}
