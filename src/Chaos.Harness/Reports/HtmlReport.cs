using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Chaos.Harness.Checking;

namespace Chaos.Harness.Reports;

/// <summary>
/// matrix.html: one self-contained page (inline CSS and JS, nothing fetched) with the matrix as a
/// colored grid; clicking a cell opens its details: figures, reason, expectation, a chart of its
/// timeline (inline SVG, <see cref="TimelineChart"/>) and the timeline's events.
/// </summary>
/// <remarks>
/// Every piece of run data goes into the page through <see cref="H"/> and none into the script, so an
/// error message holding markup shows as text. A Content-Security-Policy pins the one inline script by
/// hash as a second line of defence: an injected script would not run even if escaping were missed.
/// Each cell's details are a &lt;details&gt; element, so the page still works with scripts disabled.
/// </remarks>
internal sealed class HtmlReport : IReportFormat
{
    public const string FileName = "matrix.html";

    internal HtmlReport() { }

    string IReportFormat.Name => "html";
    string IReportFormat.FileName => FileName;

    Task IReportFormat.WriteAsync(MatrixRecord matrix, string path, BaselineDiff? baseline, CancellationToken ct) =>
        WriteAsync(matrix, path, baseline, ct);

    public static async Task WriteAsync(MatrixRecord result, string path, BaselineDiff? baseline, CancellationToken ct) =>
        await File.WriteAllTextAsync(path, Render(result, baseline), new UTF8Encoding(false), ct);

    public static string Render(MatrixRecord result, BaselineDiff? baseline = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        var grid = new MatrixGrid(result);
        var ids = CellIds(grid);
        var html = new StringBuilder();

        var sharding = Figures.Sharding(result) is { } shard ? $" · {shard}" : "";
        var scriptHash = Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(Script)));
        html.Append($"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{scriptHash}'">
            <title>Chaos matrix — {H(Figures.Timestamp(result.StartedAt))}</title>
            <style>{Css}</style>
            </head>
            <body>
            <header>
            <h1>Chaos matrix</h1>
            <p class="run">Started {H(Figures.Timestamp(result.StartedAt))} · took {H(Figures.Ms(result.DurationMs))}{H(sharding)}</p>

            """);
        if (result.Environment.Count > 0)
        {
            html.Append("<ul class=\"env\">");
            foreach (var (key, value) in result.Environment)
                html.Append($"<li><span>{H(key)}</span> {H(value)}</li>");
            html.Append("</ul>\n");
        }
        var attention = result.Cells.Any(c => c.IsRegression) || baseline?.HasChanges == true;
        html.Append($"<p class=\"summary{(attention ? " attention" : "")}\" id=\"summary\">{H(Figures.Summary(result, baseline))}</p>\n</header>\n<main>\n");

        AppendLegend(html);
        AppendGrid(html, grid, ids, baseline);
        AppendBaseline(html, baseline);
        AppendDetails(html, grid, ids, baseline);

        html.Append($"</main>\n<script>{Script}</script>\n</body>\n</html>\n");
        return html.ToString();
    }

    private static void AppendLegend(StringBuilder html)
    {
        html.Append("<section class=\"legend\" aria-label=\"Legend\"><h2>Legend</h2><dl>");
        foreach (var v in VerdictStyle.All)
            html.Append($"<div><dt><span class=\"swatch v-{v.ToWire()}\">{H(VerdictStyle.Symbol(v))} {v.ToWire()}</span></dt><dd>{H(VerdictStyle.Meaning(v))}</dd></div>");
        html.Append("<div><dt><span class=\"swatch regression-sample\">ringed</span></dt><dd>A regression: the verdict differs from the suite's expectation or from the baseline.</dd></div>");
        html.Append("</dl></section>\n");
    }

    private static void AppendGrid(StringBuilder html, MatrixGrid grid, Dictionary<CellRecord, string> ids, BaselineDiff? baseline)
    {
        html.Append("<section aria-label=\"Matrix\"><h2>Matrix</h2>\n");
        if (grid.Faults.Count == 0)
        {
            html.Append("<p>No cells were run.</p></section>\n");
            return;
        }
        // Many profiles: narrower cells and headers that wrap after a hyphen. Either way the header row and the
        // fault column stick while the grid scrolls inside its box, so a wide matrix never widens the page.
        var compact = grid.Profiles.Count > CompactAbove;
        html.Append($"<div class=\"scroll\"><table class=\"matrix{(compact ? " compact" : "")}\"><thead><tr><th scope=\"col\" class=\"corner\">fault \\ profile</th>");
        foreach (var profile in grid.Profiles)
            html.Append($"<th scope=\"col\">{(compact ? H(profile).Replace("-", "-<wbr>", StringComparison.Ordinal) : H(profile))}</th>");
        html.Append("</tr></thead>\n<tbody>\n");
        foreach (var fault in grid.Faults)
        {
            html.Append($"<tr><th scope=\"row\">{H(fault)}</th>");
            foreach (var profile in grid.Profiles)
            {
                if (grid.Find(fault, profile) is not { } cell)
                {
                    html.Append("<td class=\"hole\"></td>");
                    continue;
                }
                var change = baseline?.Find(fault, profile);
                var regression = cell.IsRegression || change is not null;
                var notes = new List<string>();
                if (cell.IsRegression)
                    notes.Add($"expected {Figures.Expected(cell)}");
                if (change is not null)
                    notes.Add($"was {change.Old.ToWire()}");
                var figure = cell.Verdict == Verdict.NotApplicable ? "" : $"{cell.Errors} {Figures.Plural(cell.Errors, "error")}";
                html.Append($"<td><a class=\"cell v-{cell.Verdict.ToWire()}{(regression ? " regression" : "")}\" id=\"{ids[cell]}\" href=\"#d-{ids[cell]}\" ")
                    .Append($"data-fault=\"{H(fault)}\" data-profile=\"{H(profile)}\" data-verdict=\"{cell.Verdict.ToWire()}\" ")
                    .Append($"data-regression=\"{(regression ? "true" : "false")}\" title=\"{H(cell.Reason)}\">")
                    .Append($"<span class=\"verdict\">{H(VerdictStyle.Symbol(cell.Verdict))} {cell.Verdict.ToWire()}</span>")
                    .Append($"<span class=\"figure\">{H(figure)}</span>");
                if (notes.Count > 0)
                    html.Append($"<span class=\"note\">{H(string.Join(", ", notes))}</span>");
                html.Append("</a></td>");
            }
            html.Append("</tr>\n");
        }
        html.Append("</tbody></table></div>\n<p class=\"hint\">Click a cell for its figures, reason and timeline.</p></section>\n");
    }

    /// <summary>Profiles beyond which the grid goes compact.</summary>
    internal const int CompactAbove = 8;

    private static void AppendBaseline(StringBuilder html, BaselineDiff? baseline)
    {
        if (baseline is null)
            return;
        html.Append("<section class=\"baseline\" aria-label=\"Changes since baseline\"><h2>Changes since baseline</h2>");
        if (baseline.IsIdentical)
            html.Append("<p>None: every cell has the baseline's verdict.</p>");
        else
        {
            html.Append("<ul>");
            foreach (var line in baseline.Describe())
                html.Append($"<li>{H(line)}</li>");
            html.Append("</ul>");
        }
        html.Append("</section>\n");
    }

    private static void AppendDetails(StringBuilder html, MatrixGrid grid, Dictionary<CellRecord, string> ids, BaselineDiff? baseline)
    {
        html.Append("<section class=\"details\" aria-label=\"Cells\"><h2>Cells</h2>\n");
        foreach (var cell in grid.Cells)
        {
            var id = ids[cell];
            var verdict = cell.Verdict.ToWire();
            html.Append($"<details class=\"cell-detail\" id=\"d-{id}\" data-fault=\"{H(cell.Fault)}\" data-profile=\"{H(cell.Profile)}\" data-verdict=\"{verdict}\">")
                .Append($"<summary><span class=\"swatch v-{verdict}\">{H(VerdictStyle.Symbol(cell.Verdict))} {verdict}</span> ")
                .Append($"<strong>{H(cell.Fault)}</strong> / <strong>{H(cell.Profile)}</strong></summary>\n<div class=\"body\">");

            html.Append($"<p class=\"reason\">{H(cell.Reason)}</p>");
            if (cell.Expected is { } expected)
            {
                var mark = cell.IsRegression ? " class=\"mismatch\"" : "";
                html.Append($"<p class=\"expected\"><span{mark}>Expected: {Figures.Expected(cell)}</span>");
                if (!string.IsNullOrWhiteSpace(cell.ExpectedReason))
                    html.Append($" — {H(cell.ExpectedReason)}");
                html.Append("</p>");
            }
            else
            {
                html.Append("<p class=\"expected\">No expectation for this cell.</p>");
            }
            if (baseline?.Find(cell.Fault, cell.Profile) is { } change)
                html.Append($"<p class=\"changed\">Changed since baseline: {change.Old.ToWire()} → {change.New.ToWire()}</p>");

            html.Append("<dl class=\"figures\">");
            foreach (var (label, value) in Figures.Of(cell))
                html.Append($"<div><dt>{H(label)}</dt><dd>{H(value)}</dd></div>");
            html.Append("</dl>");

            if (cell.Verdict != Verdict.NotApplicable)
            {
                if (TimelineChart.CanDraw(cell))
                    TimelineChart.Append(html, cell, $"Timeline of {cell.Fault} / {cell.Profile}: requests by outcome, latency and server connections over time; shaded: fault windows");
                else
                    html.Append("<p class=\"empty no-chart\">No series recorded for a chart (a matrix.json from an older harness).</p>");
            }

            if (cell.Timeline.Count == 0)
            {
                html.Append("<p class=\"empty\">No timeline recorded.</p>");
            }
            else
            {
                html.Append("<table class=\"timeline\"><thead><tr><th scope=\"col\">ms</th><th scope=\"col\">kind</th><th scope=\"col\">detail</th><th scope=\"col\">SQLSTATE</th></tr></thead><tbody>");
                foreach (var e in cell.Timeline)
                    html.Append($"<tr class=\"k-{Slug(e.Kind)}\"><td class=\"num\">{e.AtMs.ToString("0.0", CultureInfo.InvariantCulture)}</td><td>{H(e.Kind)}</td><td>{H(e.Detail)}</td><td>{H(e.SqlState ?? "")}</td></tr>");
                html.Append("</tbody></table>");
            }
            html.Append("</div></details>\n");
        }
        html.Append("</section>\n");
    }

    /// <summary>Ids from names, so a link to a cell (matrix.html#d-idle-kill--default) stays valid across runs.</summary>
    private static Dictionary<CellRecord, string> CellIds(MatrixGrid grid)
    {
        var ids = new Dictionary<CellRecord, string>(ReferenceEqualityComparer.Instance);
        var taken = new HashSet<string>(StringComparer.Ordinal);
        foreach (var cell in grid.Cells)
        {
            var id = $"c-{Slug(cell.Fault)}--{Slug(cell.Profile)}";
            // Names differing only in punctuation would collide; a counter keeps ids unique.
            for (var n = 2; !taken.Add(id); n++)
                id = $"c-{Slug(cell.Fault)}--{Slug(cell.Profile)}-{n}";
            ids[cell] = id;
        }
        return ids;
    }

    private static string Slug(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var ch in text.ToLowerInvariant())
            sb.Append(ch is >= 'a' and <= 'z' or >= '0' and <= '9' or '-' or '_' ? ch : '-');
        return sb.Length == 0 ? "x" : sb.ToString();
    }

    /// <summary>HTML-escapes text for element content and double-quoted attributes alike.</summary>
    private static string H(string? text) => WebUtility.HtmlEncode(Printable.Clean(text ?? ""));

    private const string BaseCss = """

        :root { --fg:#1f2328; --muted:#59636e; --line:#d1d9e0; --bg:#ffffff; --panel:#f6f8fa; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
        header, main { max-width: 1200px; margin: 0 auto; padding: 0 24px; }
        header { padding-top: 24px; }
        h1 { font-size: 24px; margin: 0 0 4px; }
        h2 { font-size: 16px; margin: 28px 0 10px; }
        .run { color: var(--muted); margin: 0 0 8px; }
        .env { list-style: none; padding: 0; margin: 0 0 10px; display: flex; flex-wrap: wrap; gap: 6px; }
        .env li { background: var(--panel); border: 1px solid var(--line); border-radius: 12px; padding: 1px 10px; font-size: 12px; }
        .env li span { color: var(--muted); }
        .summary { font-weight: 600; padding: 8px 12px; border-radius: 6px; background: #dafbe1; border: 1px solid #aceebb; }
        .summary.attention { background: #ffebe9; border-color: #ffcecb; }
        .legend dl { display: grid; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); gap: 6px 20px; margin: 0; }
        .legend dl > div { display: flex; gap: 10px; align-items: baseline; }
        .legend dt { flex: 0 0 130px; }
        .legend dd { margin: 0; color: var(--muted); font-size: 13px; }
        .swatch { display: inline-block; padding: 1px 8px; border-radius: 4px; font-weight: 600; font-size: 12px; white-space: nowrap; }
        .regression-sample { background: #fff; color: var(--fg); box-shadow: inset 0 0 0 3px #fb8f44; }
        .scroll { overflow: auto; max-height: 80vh; border: 1px solid var(--line); border-radius: 6px; }
        table.matrix { border-collapse: separate; border-spacing: 0; }
        table.matrix th { font-weight: 600; text-align: left; padding: 4px 8px; white-space: nowrap; background: var(--bg); }
        table.matrix thead th { color: var(--muted); font-size: 12px; position: sticky; top: 0; z-index: 2; vertical-align: bottom; box-shadow: inset 0 -1px 0 var(--line); }
        table.matrix tbody th { position: sticky; left: 0; z-index: 1; box-shadow: inset -1px 0 0 var(--line); }
        table.matrix .corner { color: var(--muted); font-weight: 400; left: 0; z-index: 3; }
        table.matrix td { padding: 2px; }
        table.matrix.compact thead th { white-space: normal; min-width: 72px; max-width: 104px; overflow-wrap: normal; }
        table.matrix.compact .cell { min-width: 72px; padding: 4px 6px; font-size: 12px; }
        table.matrix.compact .cell .figure, table.matrix.compact .cell .note { font-size: 11px; }
        .cell { display: flex; flex-direction: column; min-width: 120px; padding: 8px 10px; border-radius: 6px; text-decoration: none; cursor: pointer; outline-offset: 2px; }
        .cell:hover, .cell:focus-visible { filter: brightness(1.08); outline: 2px solid #0969da; }
        .cell.selected { outline: 3px solid #0969da; }
        .cell.regression { box-shadow: inset 0 0 0 3px #fb8f44; }
        .cell .verdict { font-weight: 700; white-space: nowrap; }
        .cell .figure, .cell .note { font-size: 12px; opacity: .9; }
        .cell .note { font-weight: 600; }
        td.hole { background: repeating-linear-gradient(45deg, #fff, #fff 4px, #f6f8fa 4px, #f6f8fa 8px); border-radius: 6px; }
        .hint { color: var(--muted); font-size: 12px; }
        .baseline ul { margin: 0; padding-left: 20px; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 13px; }
        details.cell-detail { border: 1px solid var(--line); border-radius: 6px; margin: 0 0 8px; background: var(--bg); }
        details.cell-detail[open] { box-shadow: 0 1px 6px rgba(0,0,0,.08); }
        details.cell-detail > summary { cursor: pointer; padding: 8px 12px; background: var(--panel); border-radius: 6px; }
        details.cell-detail .body { padding: 4px 16px 14px; }
        .reason { font-size: 15px; }
        .expected { color: var(--muted); }
        .mismatch, .changed { color: #cf222e; font-weight: 600; }
        dl.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 6px; margin: 8px 0 12px; }
        dl.figures > div { background: var(--panel); border-radius: 6px; padding: 4px 8px; }
        dl.figures dt { font-size: 11px; color: var(--muted); text-transform: uppercase; letter-spacing: .03em; }
        dl.figures dd { margin: 0; font-weight: 600; font-variant-numeric: tabular-nums; }
        table.timeline { border-collapse: collapse; width: 100%; font-size: 13px; }
        table.timeline th, table.timeline td { text-align: left; padding: 3px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
        table.timeline td { word-break: break-word; }
        table.timeline .num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
        table.timeline tr.k-error td, table.timeline tr.k-broken td { color: #cf222e; }
        table.timeline tr.k-fault td { font-weight: 600; }
        table.timeline tr.k-heal td, table.timeline tr.k-recovered td { color: #1a7f37; }
        figure.chart { margin: 4px 0 14px; padding: 8px 10px 6px; border: 1px solid var(--line); border-radius: 6px; background: var(--bg); }
        .chart-svg { display: block; width: 100%; height: auto; max-width: 1100px; }
        .chart-svg text { font: 12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
        .chart-svg text.tick { fill: var(--muted); }
        .chart-svg text.panel-name { font-weight: 600; fill: var(--fg); }
        .chart-svg text.mark-label { font-weight: 700; }
        ul.chart-legend { list-style: none; display: flex; flex-wrap: wrap; gap: 4px 16px; margin: 6px 0 0; padding: 0; font-size: 12px; color: var(--fg); }
        ul.chart-legend li { display: flex; align-items: center; gap: 6px; }
        .key { display: inline-block; width: 14px; height: 10px; }
        .key-box { background: var(--key); border-radius: 2px; }
        .key-line { height: 0; border-top: 2px solid var(--key); }
        .key-dash { height: 0; border-top: 2px dashed var(--key); }
        .key-window { width: 22px; background: color-mix(in srgb, var(--key) 14%, white); border-left: 2px solid var(--key); border-right: 2px dashed #1a7f37; }
        .chart-note { color: var(--muted); font-size: 12px; margin: 2px 0 0; }

        """;

    private static readonly string Css = BaseCss + string.Concat(VerdictStyle.All.Select(v =>
    {
        var (background, text) = VerdictStyle.HtmlColors(v);
        return $".v-{v.ToWire()} {{ background: {background}; color: {text}; }}\n";
    }));

    // Opens the clicked cell's details and scrolls to them; also honours a #d-... link on load.
    private const string Script = """

        (function () {
          function open(id) {
            var d = document.getElementById(id);
            if (!d) return;
            d.open = true;
            document.querySelectorAll('.cell.selected').forEach(function (c) { c.classList.remove('selected'); });
            var cell = document.getElementById(id.slice(2));
            if (cell) cell.classList.add('selected');
            d.scrollIntoView({ block: 'nearest' });
          }
          document.querySelectorAll('a.cell').forEach(function (a) {
            a.addEventListener('click', function (e) {
              e.preventDefault();
              open(a.getAttribute('href').slice(1));
            });
          });
          if (location.hash.length > 1) open(decodeURIComponent(location.hash.slice(1)));
        })();

        """;
}
