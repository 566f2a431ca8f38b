using Chaos.Harness.Checking;
using Chaos.Harness.Reports;
using FluentAssertions;
using Microsoft.Playwright;
using NUnit.Framework;

namespace Chaos.Tests.Reports;

/// <summary>
/// What a person sees of matrix.html at 1280 px: each cell's timeline chart and the grid with many
/// profiles, in headless Chromium. Screenshots are written to the test output and attached to the result.
/// </summary>
public class HtmlChartTests
{
    private const int ViewportWidth = 1280;
    private TempFolder _dir = null!;
    private IBrowserContext _context = null!;
    private IPage _page = null!;
    private readonly List<string> _requests = [];

    [SetUp]
    public async Task SetUp()
    {
        _dir = new TempFolder();
        _requests.Clear();
        _context = await HeadlessChromium.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = ViewportWidth, Height = 900 } });
        _page = await _context.NewPageAsync();
        _page.SetDefaultTimeout(10_000);
        _page.SetDefaultNavigationTimeout(15_000);
        _page.Request += (_, request) => _requests.Add(request.Url);
    }

    [TearDown]
    public async Task TearDown()
    {
        await _context.CloseAsync();
        _dir.Dispose();
    }

    [Test]
    public async Task Every_cell_that_ran_has_a_chart_and_a_not_applicable_one_has_none()
    {
        var result = SampleMatrix.Charted();
        await OpenAsync(result);

        var ran = result.Cells.Count(c => c.Verdict != Verdict.NotApplicable);
        (await _page.Locator("details.cell-detail figure.chart svg").CountAsync()).Should().Be(ran);
        (await _page.Locator("details.cell-detail[data-verdict='not-applicable'] figure.chart").CountAsync()).Should().Be(0);
        (await _page.Locator("details[data-fault='tcp-reset'][data-profile='default'] rect.window").CountAsync()).Should().Be(2, "one shaded band per fault window");
        _requests.Should().HaveCount(1, "the charts are inline: nothing is fetched");
    }

    [Test]
    public async Task A_cell_chart_shows_requests_latency_connections_and_the_shaded_fault_window_within_1280_px()
    {
        var result = SampleMatrix.Charted();
        await OpenAsync(result);
        var cell = result.Cells.First(c => c.Fault == "idle-kill" && c.Profile == "default");

        await _page.Locator("a.cell[data-fault='idle-kill'][data-profile='default']").ClickAsync();
        var chart = _page.Locator("details[data-fault='idle-kill'][data-profile='default'] figure.chart");
        await Assertions.Expect(chart).ToBeVisibleAsync(new() { Timeout = 5_000 });
        await chart.ScrollIntoViewIfNeededAsync();

        // What is drawn: stacked bars by outcome, both latency lines, the connections line, the window and its marks.
        var svg = chart.Locator("svg");
        (await svg.Locator("rect.bar-ok").CountAsync()).Should().Be(cell.Series.Buckets.Count(b => b.Ok > 0));
        (await svg.Locator("rect.bar-fail").CountAsync()).Should().Be(cell.Series.Buckets.Count(b => b.Fail > 0));
        (await svg.Locator("path.line-p50").CountAsync()).Should().Be(1);
        (await svg.Locator("path.line-max").CountAsync()).Should().Be(1);
        (await svg.Locator("path.line-connections").CountAsync()).Should().Be(1);
        (await svg.Locator("rect.window").CountAsync()).Should().Be(1);
        (await svg.Locator("line.mark-fault").CountAsync()).Should().Be(1);
        (await svg.Locator("line.mark-heal").CountAsync()).Should().Be(1);
        (await svg.Locator("text.mark-label").AllTextContentsAsync()).Should().Equal("fault", "heal");
        (await svg.Locator("g.panel text.panel-name").AllTextContentsAsync()).Should().Equal("requests per 250 ms, by outcome", "latency of successes (log scale)", "server connections");
        (await chart.Locator("ul.chart-legend li").AllInnerTextsAsync())
            .Should().Equal("ok", "failed", "unknown", "hung", "p50 latency", "max latency", "server connections", "fault window (fault → heal)");

        // Where it is drawn: the shading starts where the fault struck and ends at the heal, on the shared time axis.
        var plot = await BoxAsync(svg.Locator("g.panel[data-panel='requests'] > rect"));
        var window = await BoxAsync(svg.Locator("rect.window"));
        var end = cell.Series.Buckets[^1].AtMs + cell.Series.BucketMs;
        ((double)(window.X - plot.X) / plot.Width).Should().BeApproximately(2000 / end, 0.01);
        ((double)(window.X + window.Width - plot.X) / plot.Width).Should().BeApproximately(5000 / end, 0.01);
        var shading = await svg.Locator("rect.window").EvaluateAsync<string>("e => getComputedStyle(e).fillOpacity");
        double.Parse(shading, System.Globalization.CultureInfo.InvariantCulture).Should().BeInRange(0.05, 0.3, "shaded, not hiding the bars");

        // Readable at 1280 px: the chart is wide, fits the viewport, the page does not scroll sideways, text is not tiny.
        var box = await BoxAsync(chart);
        box.X.Should().BeGreaterThanOrEqualTo(0);
        (box.X + box.Width).Should().BeLessThanOrEqualTo(ViewportWidth);
        box.Width.Should().BeGreaterThan(900);
        (await _page.EvaluateAsync<int>("() => document.documentElement.scrollWidth")).Should().BeLessThanOrEqualTo(ViewportWidth);
        var tick = await BoxAsync(svg.Locator("text.tick").First);
        tick.Height.Should().BeGreaterThanOrEqualTo(11, "axis labels readable in a screenshot");

        await AttachAsync(chart, "chart-idle-kill-default.png", "The timeline chart of idle-kill / default at 1280 px");
        await AttachAsync(null, "page-with-open-cell.png", "matrix.html at 1280 px with one cell open");
    }

    [Test]
    public async Task A_matrix_of_22_profiles_fits_1280_px_with_its_header_row_and_fault_column_in_view()
    {
        await OpenAsync(SampleMatrix.Wide(profiles: 22));
        var scroll = _page.Locator("section[aria-label='Matrix'] .scroll");

        (await _page.Locator("table.matrix.compact").CountAsync()).Should().Be(1, "many profiles make the grid compact");
        (await _page.EvaluateAsync<int>("() => document.documentElement.scrollWidth")).Should().BeLessThanOrEqualTo(ViewportWidth, "the page never scrolls sideways");
        var frame = await BoxAsync(scroll);
        (frame.X + frame.Width).Should().BeLessThanOrEqualTo(ViewportWidth);

        // Scroll the grid to its far right and bottom: the fault names and profile names stay where they were.
        var faultBefore = await BoxAsync(_page.Locator("table.matrix tbody tr").First.Locator("th"));
        await scroll.EvaluateAsync("e => { e.scrollLeft = e.scrollWidth; e.scrollTop = e.scrollHeight; }");
        var lastRowHeader = _page.Locator("table.matrix tbody tr").Last.Locator("th");
        var lastHeader = _page.Locator("table.matrix thead th").Last;
        var faultAfter = await BoxAsync(lastRowHeader);
        faultAfter.X.Should().BeApproximately(faultBefore.X, 1, "the fault column sticks to the left");
        var header = await BoxAsync(lastHeader);
        header.Y.Should().BeApproximately(frame.Y + 1, 2, "the header row sticks to the top");
        (header.X + header.Width).Should().BeLessThanOrEqualTo(frame.X + frame.Width + 1, "the last profile is in view");
        var lastCell = await BoxAsync(_page.Locator("table.matrix tbody tr").Last.Locator("a.cell").Last);
        (lastCell.Y + lastCell.Height).Should().BeLessThanOrEqualTo(frame.Y + frame.Height + 1, "the last cell is in view");
        (await _page.EvaluateAsync<bool>("""
            () => { const th = document.querySelector('table.matrix thead th:last-child'); const r = th.getBoundingClientRect();
                    return document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2)?.closest('th') === th; }
            """)).Should().BeTrue("nothing scrolls over the sticky header");
        (await lastHeader.InnerTextAsync()).Replace("\n", "").Should().Be("validate-on-checkout-22", "a wrapped name still reads as the name");

        await AttachAsync(null, "matrix-22-profiles-scrolled.png", "A 17 x 22 matrix at 1280 px, scrolled to the bottom right");
    }

    [Test]
    public async Task A_cell_from_an_older_matrix_without_a_series_says_why_there_is_no_chart()
    {
        await OpenAsync(SampleMatrix.Create());

        (await _page.Locator("details[data-fault='idle-kill'][data-profile='default'] .no-chart").TextContentAsync())
            .Should().Be("No series recorded for a chart (a matrix.json from an older harness).");
    }

    private static async Task<LocatorBoundingBoxResult> BoxAsync(ILocator locator) =>
        await locator.BoundingBoxAsync() ?? throw new AssertionException($"{locator} is not visible");

    /// <summary>Writes a PNG to the test's output folder and attaches it to the result, for a person to look at.</summary>
    private async Task AttachAsync(ILocator? element, string name, string description)
    {
        var dir = Directory.CreateDirectory(Path.Combine(TestContext.CurrentContext.WorkDirectory, "screenshots")).FullName;
        var path = Path.Combine(dir, name);
        if (element is null)
            await _page.ScreenshotAsync(new PageScreenshotOptions { Path = path });
        else
            await element.ScreenshotAsync(new LocatorScreenshotOptions { Path = path });
        new FileInfo(path).Length.Should().BeGreaterThan(10_000, "a real picture, not a blank");
        TestContext.AddTestAttachment(path, description);
        await TestContext.Out.WriteLineAsync($"screenshot: {path}");
    }

    private async Task OpenAsync(MatrixRecord result)
    {
        var path = _dir.File(HtmlReport.FileName);
        await HtmlReport.WriteAsync(result, path, null, CancellationToken.None);
        (await _page.GotoAsync(new Uri(path).AbsoluteUri)).Should().NotBeNull();
    }
}
