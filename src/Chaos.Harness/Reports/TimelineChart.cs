using System.Globalization;
using System.Net;
using System.Text;

namespace Chaos.Harness.Reports;

/// <summary>
/// One cell's timeline as an inline SVG chart for matrix.html, drawn from <see cref="CellRecord.Series"/>
/// and <see cref="CellRecord.Windows"/>: no script, no library, nothing fetched. Three panels share the
/// time axis; the fault windows are shaded across all of them, with a mark where each fault struck and
/// where it was healed:
/// <code>
///    fault|          |heal
///   ┌────░░░░░░░░░░░░────────┐  requests per bucket, stacked by outcome (ok, failed, unknown, hung)
///   ├────░░░░░░░░░░░░────────┤  latency of the successes, p50 and max, log scale
///   ├────░░░░░░░░░░░░────────┤  server connections the sampler saw
///   └ 0 s ─── 2 s ─── 4 s ───┘
/// </code>
/// </summary>
internal static class TimelineChart
{
    // Drawing units of the viewBox; the SVG scales to the width of its box, text with it.
    private const double Width = 1000;
    private const double Left = 64;
    private const double Right = 14;
    private const double PlotWidth = Width - Left - Right;
    private const double MarksTop = 16;
    // Each panel has its name on a line of its own above it, so no line or bar is ever drawn over the name.
    private static readonly Panel Requests = new(40, 116);
    private static readonly Panel Latency = new(178, 90);
    private static readonly Panel Connections = new(290, 56);
    private const double AxisLabels = 364;
    private const double Height = 372;

    public const string OkColor = "#1a7f37";
    public const string FailColor = "#cf222e";
    public const string UnknownColor = "#bc4c00";
    public const string HungColor = "#8250df";
    public const string P50Color = "#0969da";
    public const string MaxColor = "#9a6700";
    public const string ConnectionsColor = "#1b7c83";
    public const string WindowColor = "#cf222e";

    private sealed record Panel(double Top, double Height)
    {
        public double Bottom => Top + Height;
    }

    /// <summary>True when the cell has something to draw: a series with at least one bucket.</summary>
    public static bool CanDraw(CellRecord cell) => cell.Series.Buckets.Count > 0;

    /// <summary>Appends the chart and its legend as a &lt;figure&gt;; <paramref name="title"/> names the cell for screen readers.</summary>
    public static void Append(StringBuilder html, CellRecord cell, string title)
    {
        var series = cell.Series;
        var buckets = series.Buckets;
        var end = Math.Max(
            buckets.Count == 0 ? 0 : buckets[^1].AtMs + series.BucketMs,
            cell.Windows.Count == 0 ? 0 : cell.Windows.Max(w => w.HealAtMs ?? w.FaultAtMs));
        end = Math.Max(end, 1000);
        double X(double ms) => Left + ms / end * PlotWidth;

        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg class=\"chart-svg\" viewBox=\"0 0 {Width} {Height}\" role=\"img\" aria-label=\"{E(title)}\" xmlns=\"http://www.w3.org/2000/svg\">");
        svg.Append($"<title>{E(title)}</title>");

        // Shaded windows first, so bars and lines are drawn over them.
        foreach (var w in cell.Windows)
        {
            var x0 = X(w.FaultAtMs);
            var x1 = Math.Max(X(w.HealAtMs ?? end), x0 + 1.5);
            svg.Append($"<rect class=\"window\" x=\"{N(x0)}\" y=\"{N(MarksTop)}\" width=\"{N(x1 - x0)}\" height=\"{N(Connections.Bottom - MarksTop)}\" fill=\"{WindowColor}\" fill-opacity=\"0.11\"><title>{E(WindowTitle(w))}</title></rect>");
        }

        AppendRequests(svg, buckets, series.BucketMs, X);
        AppendLatency(svg, buckets, series.BucketMs, X);
        AppendConnections(svg, buckets, series.BucketMs, X, end);

        // Fault and heal marks over everything: "fault" left of its line, "heal" right of its, so a short window keeps both readable.
        foreach (var w in cell.Windows)
        {
            var xf = X(w.FaultAtMs);
            svg.Append($"<line class=\"mark-fault\" x1=\"{N(xf)}\" x2=\"{N(xf)}\" y1=\"{N(MarksTop)}\" y2=\"{N(Connections.Bottom)}\" stroke=\"{FailColor}\" stroke-width=\"1.5\"/>");
            svg.Append($"<text class=\"mark-label\" x=\"{N(xf - 3)}\" y=\"{N(MarksTop - 4)}\" text-anchor=\"end\" fill=\"{FailColor}\">fault</text>");
            if (w.HealAtMs is { } heal)
            {
                var xh = X(heal);
                svg.Append($"<line class=\"mark-heal\" x1=\"{N(xh)}\" x2=\"{N(xh)}\" y1=\"{N(MarksTop)}\" y2=\"{N(Connections.Bottom)}\" stroke=\"{OkColor}\" stroke-width=\"1.5\" stroke-dasharray=\"5 3\"/>");
                svg.Append($"<text class=\"mark-label\" x=\"{N(xh + 3)}\" y=\"{N(MarksTop - 4)}\" text-anchor=\"start\" fill=\"{OkColor}\">heal</text>");
            }
        }

        AppendTimeAxis(svg, end, X);
        svg.Append("</svg>");

        html.Append("<figure class=\"chart\">").Append(svg).Append("<figcaption>");
        AppendLegend(html, series.BucketMs);
        html.Append("</figcaption></figure>");
    }

    private static void AppendRequests(StringBuilder svg, IReadOnlyList<SeriesBucket> buckets, double bucketMs, Func<double, double> x)
    {
        var p = Requests;
        var top = NiceCeiling(Math.Max(1, buckets.Max(b => b.Ok + b.Fail + b.Unknown + b.Hung)));
        double Y(double n) => p.Bottom - n / top * p.Height;
        AppendFrame(svg, p, "requests", $"requests per {Figures.Ms(bucketMs)}, by outcome", [(0, "0"), (top / 2, Number(top / 2)), (top, Number(top))], Y);

        var barWidth = Math.Max(1, x(bucketMs) - x(0) - 1);
        foreach (var b in buckets)
        {
            var y = 0.0;
            foreach (var (n, color, kind) in new[] { (b.Ok, OkColor, "ok"), (b.Fail, FailColor, "fail"), (b.Unknown, UnknownColor, "unknown"), (b.Hung, HungColor, "hung") })
            {
                if (n == 0)
                    continue;
                svg.Append($"<rect class=\"bar bar-{kind}\" x=\"{N(x(b.AtMs) + 0.5)}\" y=\"{N(Y(y + n))}\" width=\"{N(barWidth)}\" height=\"{N(Y(y) - Y(y + n))}\" fill=\"{color}\"/>");
                y += n;
            }
        }
    }

    private static void AppendLatency(StringBuilder svg, IReadOnlyList<SeriesBucket> buckets, double bucketMs, Func<double, double> x)
    {
        var p = Latency;
        var values = buckets.SelectMany(b => new[] { b.P50Ms, b.MaxMs }).OfType<double>().Where(v => v > 0 && double.IsFinite(v)).ToList();
        // Decades from below the fastest to above the slowest success; at least 1 ms to 100 ms, so a flat line still reads as "about 2 ms".
        var lowDecade = Math.Min(0, values.Count == 0 ? 0 : (int)Math.Floor(Math.Log10(values.Min())));
        var highDecade = Math.Max(lowDecade + 2, values.Count == 0 ? 2 : (int)Math.Ceiling(Math.Log10(values.Max())));
        double Y(double ms) => p.Bottom - (Math.Log10(Math.Max(ms, Math.Pow(10, lowDecade))) - lowDecade) / (highDecade - lowDecade) * p.Height;
        var ticks = Enumerable.Range(lowDecade, highDecade - lowDecade + 1).Select(d => (Math.Pow(10, d), Decade(d)));
        AppendFrame(svg, p, "latency", "latency of successes (log scale)", [.. ticks], Y);

        svg.Append(Line("line-p50", buckets.Select(b => (b.AtMs + bucketMs / 2, b.P50Ms)), x, Y, P50Color, dashed: false));
        svg.Append(Line("line-max", buckets.Select(b => (b.AtMs + bucketMs / 2, b.MaxMs)), x, Y, MaxColor, dashed: true));
    }

    private static void AppendConnections(StringBuilder svg, IReadOnlyList<SeriesBucket> buckets, double bucketMs, Func<double, double> x, double end)
    {
        var p = Connections;
        var top = NiceCeiling(Math.Max(1, buckets.Max(b => b.ServerConnections ?? 0)));
        double Y(double n) => p.Bottom - n / top * p.Height;
        AppendFrame(svg, p, "connections", "server connections", [(0, "0"), (top, Number(top))], Y);

        // A step line: the count holds for the whole bucket; a bucket without a sample leaves a gap.
        var path = new StringBuilder();
        var open = false;
        foreach (var b in buckets)
        {
            if (b.ServerConnections is not { } n)
            {
                open = false;
                continue;
            }
            var x0 = x(b.AtMs);
            var x1 = x(Math.Min(b.AtMs + bucketMs, end));
            path.Append(open ? $"L{N(x0)} {N(Y(n))}" : $"M{N(x0)} {N(Y(n))}").Append($"H{N(x1)}");
            open = true;
        }
        if (path.Length > 0)
            svg.Append($"<path class=\"line-connections\" d=\"{path}\" fill=\"none\" stroke=\"{ConnectionsColor}\" stroke-width=\"2\"/>");
    }

    private static string Line(string cls, IEnumerable<(double AtMs, double? Value)> points, Func<double, double> x, Func<double, double> y, string color, bool dashed)
    {
        var path = new StringBuilder();
        var open = false;
        foreach (var (at, value) in points)
        {
            if (value is not { } v || !double.IsFinite(v))
            {
                open = false;
                continue;
            }
            // A lone point still shows: a zero-length segment with a round cap is a dot.
            path.Append(open ? "L" : "M").Append(N(x(at))).Append(' ').Append(N(y(v)));
            if (!open)
                path.Append("h0.01");
            open = true;
        }
        if (path.Length == 0)
            return "";
        var dash = dashed ? " stroke-dasharray=\"6 3\"" : "";
        return $"<path class=\"{cls}\" d=\"{path}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"1.75\" stroke-linecap=\"round\" stroke-linejoin=\"round\"{dash}/>";
    }

    private static void AppendFrame(StringBuilder svg, Panel p, string key, string name, IReadOnlyList<(double Value, string Label)> ticks, Func<double, double> y)
    {
        svg.Append($"<g class=\"panel\" data-panel=\"{key}\">");
        svg.Append($"<rect x=\"{N(Left)}\" y=\"{N(p.Top)}\" width=\"{N(PlotWidth)}\" height=\"{N(p.Height)}\" fill=\"none\" stroke=\"#d1d9e0\"/>");
        foreach (var (value, label) in ticks)
        {
            var ty = y(value);
            svg.Append($"<line x1=\"{N(Left)}\" x2=\"{N(Left + PlotWidth)}\" y1=\"{N(ty)}\" y2=\"{N(ty)}\" stroke=\"#eaeef2\"/>");
            svg.Append($"<text x=\"{N(Left - 6)}\" y=\"{N(ty + 4)}\" text-anchor=\"end\" class=\"tick\">{E(label)}</text>");
        }
        svg.Append($"<text x=\"{N(Left)}\" y=\"{N(p.Top - 6)}\" class=\"panel-name\">{E(name)}</text>");
        svg.Append("</g>");
    }

    private static void AppendTimeAxis(StringBuilder svg, double end, Func<double, double> x)
    {
        // About ten labelled ticks, on whole seconds (or halves for short cells).
        var seconds = end / 1000;
        var step = new[] { 0.5, 1, 2, 5, 10, 20, 30, 60 }.First(s => seconds / s <= 12);
        for (var t = 0.0; t <= seconds + 1e-9; t += step)
        {
            var tx = x(t * 1000);
            svg.Append($"<line x1=\"{N(tx)}\" x2=\"{N(tx)}\" y1=\"{N(Connections.Bottom)}\" y2=\"{N(Connections.Bottom + 5)}\" stroke=\"#8c959f\"/>");
            svg.Append($"<text x=\"{N(tx)}\" y=\"{N(AxisLabels)}\" text-anchor=\"middle\" class=\"tick\">{t.ToString("0.#", CultureInfo.InvariantCulture)} s</text>");
        }
    }

    private static void AppendLegend(StringBuilder html, double bucketMs)
    {
        html.Append("<ul class=\"chart-legend\">");
        Item(html, "box", OkColor, "ok");
        Item(html, "box", FailColor, "failed");
        Item(html, "box", UnknownColor, "unknown");
        Item(html, "box", HungColor, "hung");
        Item(html, "line", P50Color, "p50 latency");
        Item(html, "dash", MaxColor, "max latency");
        Item(html, "line", ConnectionsColor, "server connections");
        Item(html, "window", WindowColor, "fault window (fault → heal)");
        html.Append("</ul>");
        html.Append($"<p class=\"chart-note\">Requests counted in the {Figures.Ms(bucketMs)} bucket they started in; latency of the successes among them.</p>");
    }

    private static void Item(StringBuilder html, string kind, string color, string label) =>
        html.Append($"<li data-series=\"{E(label)}\"><span class=\"key key-{kind}\" style=\"--key:{color}\"></span>{E(label)}</li>");

    private static string WindowTitle(History.FaultWindow w) =>
        $"{w.Detail}: {Figures.Ms(w.FaultAtMs)} to {(w.HealAtMs is { } h ? Figures.Ms(h) : "the end (never healed)")}";

    /// <summary>"0.1 ms", "1 ms", "10 ms", "100 ms", "1 s", "10 s": decade labels a person reads without counting zeros.</summary>
    private static string Decade(int exponent) => exponent switch
    {
        < 0 => $"{Math.Pow(10, exponent).ToString("0.###", CultureInfo.InvariantCulture)} ms",
        < 3 => $"{Math.Pow(10, exponent):0} ms",
        _ => $"{Math.Pow(10, exponent - 3):0} s",
    };

    /// <summary>1, 2, 5 times a power of ten: axis maxima a person reads at a glance.</summary>
    private static double NiceCeiling(double value)
    {
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(value)));
        foreach (var f in new[] { 1, 2, 5, 10 })
            if (f * magnitude >= value)
                return f * magnitude;
        return 10 * magnitude;
    }

    private static string Number(double n) => n.ToString("0.#", CultureInfo.InvariantCulture);

    private static string N(double n) => Math.Round(n, 1).ToString("0.#", CultureInfo.InvariantCulture);

    private static string E(string text) => WebUtility.HtmlEncode(Printable.Clean(text));
}
