using Chaos.Harness.Checking;
using Chaos.Harness.Matrix;
using Chaos.Harness.Reports;
using FluentAssertions;
using Microsoft.Playwright;
using NUnit.Framework;

namespace Chaos.Tests.Reports;

/// <summary>
/// The HTML report as a person sees it: written to a file, opened in headless Chromium over file://,
/// clicked. One browser for the fixture, a fresh page per test.
/// </summary>
public class HtmlReportTests
{
    private TempFolder _dir = null!;
    private IPage _page = null!;
    private IBrowserContext _context = null!;
    private readonly List<string> _requests = [];

    [SetUp]
    public async Task SetUp()
    {
        _dir = new TempFolder();
        // NUnit keeps one fixture instance for all its tests.
        _requests.Clear();
        _context = await HeadlessChromium.NewContextAsync();
        _page = await _context.NewPageAsync();
        // Bounds every wait and auto-wait of this page.
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
    public async Task The_page_shows_every_cell_of_the_matrix_with_its_verdict()
    {
        await OpenAsync(SampleMatrix.Create());

        var cells = _page.Locator("a.cell[data-verdict]");
        (await cells.CountAsync()).Should().Be(SampleMatrix.CellCount);
        var verdicts = await cells.EvaluateAllAsync<string[]>("cs => cs.map(c => c.dataset.verdict)");
        verdicts.Should().Equal("recovered", "survived", "failed", "hung", "corrupted", "recovered", "not-applicable", "error", "survived");
        (await _page.Locator("table.matrix thead th").AllInnerTextsAsync()).Skip(1).Should().Equal(SampleMatrix.Profiles);
        (await _page.Locator("table.matrix tbody th").AllInnerTextsAsync()).Should().Equal(SampleMatrix.Faults);
        (await _page.Locator("#summary").InnerTextAsync()).Should().StartWith("9 cells: 2 survived, 2 recovered, 1 failed");
    }

    [Test]
    public async Task A_cell_is_colored_by_its_verdict_and_says_it_in_words()
    {
        await OpenAsync(SampleMatrix.Create());

        var failed = Cell("idle-kill", "pgbouncer-tx");
        (await failed.InnerTextAsync()).Should().Contain("failed").And.Contain("expected recovered");
        (await BackgroundOf(failed)).Should().Be("rgb(207, 34, 46)");
        (await failed.GetAttributeAsync("data-regression")).Should().Be("true");
        (await BackgroundOf(Cell("idle-kill", "validate-on-checkout"))).Should().Be("rgb(26, 127, 55)");
        (await BackgroundOf(_page.Locator(".legend .swatch.v-failed"))).Should().Be("rgb(207, 34, 46)", "the legend uses the grid's colors");
    }

    [Test]
    public async Task Clicking_a_cell_reveals_its_reason_figures_expectation_and_timeline()
    {
        await OpenAsync(SampleMatrix.Create());
        var detail = _page.Locator("details.cell-detail[data-fault='idle-kill'][data-profile='default']");
        (await detail.Locator(".reason").IsVisibleAsync()).Should().BeFalse("details start closed");

        await Cell("idle-kill", "default").ClickAsync();

        await Assertions.Expect(detail.Locator(".reason")).ToBeVisibleAsync(new() { Timeout = 5_000 });
        (await detail.Locator(".reason").InnerTextAsync()).Should().Be("recovered as measured");
        (await detail.Locator(".expected").InnerTextAsync()).Should().Be("Expected: recovered — claim 1: idle-kill with default");
        (await detail.Locator("dl.figures").InnerTextAsync()).Should().Contain("120.5 ms").And.Contain("48.25 ms");
        var rows = detail.Locator("table.timeline tbody tr");
        (await rows.CountAsync()).Should().Be(5);
        (await rows.Nth(2).Locator("td").AllInnerTextsAsync())
            .Should().Equal("1012.3", "error", "terminating connection due to administrator command", "57P01");
        (await Cell("idle-kill", "default").GetAttributeAsync("class")).Should().Contain("selected");
    }

    [Test]
    public async Task Markup_in_run_data_shows_as_text_and_runs_nothing()
    {
        await OpenAsync(SampleMatrix.Create());

        await Cell("idle-kill", "pgbouncer-tx").ClickAsync();

        var detail = _page.Locator("details.cell-detail[data-fault='idle-kill'][data-profile='pgbouncer-tx']");
        await Assertions.Expect(detail.Locator(".reason")).ToHaveTextAsync(SampleMatrix.HostileReason, new() { Timeout = 5_000 });
        (await detail.Locator("table.timeline tbody tr").Nth(0).Locator("td").Nth(2).InnerTextAsync()).Should().Be("kill <all> & \"everything\"");
        (await detail.Locator("table.timeline tbody tr").Nth(2).Locator("td").Nth(2).InnerTextAsync())
            .Should().Be("bell \uFFFD and NUL \uFFFD from a driver message", "control characters are replaced, not passed to the parser");
        (await _page.EvaluateAsync<bool>("() => window.__pwned === undefined")).Should().BeTrue("no injected script may run");
        (await _page.EvaluateAsync<int>("() => document.scripts.length")).Should().Be(1, "only the report's own script is on the page");
    }

    [Test]
    public async Task Names_with_quotes_and_markup_still_select_the_right_cell()
    {
        var result = SampleMatrix.Create();
        result = result with { Cells = [.. result.Cells, result.Cells[0] with { Fault = "kill \"all\" <now>", Profile = "a&b", Reason = "odd names" }] };
        await OpenAsync(result);

        var cell = _page.Locator("a.cell[data-profile='a&b']");
        (await cell.GetAttributeAsync("data-fault")).Should().Be("kill \"all\" <now>");
        await cell.ClickAsync();

        await Assertions.Expect(_page.Locator("details.cell-detail[data-profile='a&b'] .reason")).ToHaveTextAsync("odd names", new() { Timeout = 5_000 });
    }

    [Test]
    public async Task The_page_loads_nothing_but_itself()
    {
        var path = await OpenAsync(SampleMatrix.Create());

        await Cell("tcp-reset", "default").ClickAsync();

        _requests.Should().Equal(new Uri(path).AbsoluteUri);
    }

    [Test]
    public async Task A_changed_verdict_since_the_baseline_is_marked_on_its_cell()
    {
        var before = SampleMatrix.Create();
        var now = before.WithVerdict("pgbouncer-restart", "pgbouncer-tx", Verdict.Hung);
        await OpenAsync(now, Baseline.Compare(before, now));

        var cell = Cell("pgbouncer-restart", "pgbouncer-tx");
        (await cell.GetAttributeAsync("data-regression")).Should().Be("true");
        (await cell.InnerTextAsync()).Should().Contain("was survived");
        (await _page.Locator("section.baseline li").AllInnerTextsAsync())
            .Should().Equal("changed pgbouncer-restart / pgbouncer-tx: survived -> hung");
    }

    [Test]
    public async Task A_link_to_a_cell_opens_its_details()
    {
        var path = await WriteAsync(SampleMatrix.Create());

        await _page.GotoAsync(new Uri(path).AbsoluteUri + "#d-c-tcp-reset--default");

        await Assertions.Expect(_page.Locator("#d-c-tcp-reset--default .reason")).ToBeVisibleAsync(new() { Timeout = 5_000 });
    }

    private ILocator Cell(string fault, string profile) =>
        _page.Locator($"a.cell[data-fault='{fault}'][data-profile='{profile}']");

    private static Task<string> BackgroundOf(ILocator locator) =>
        locator.EvaluateAsync<string>("e => getComputedStyle(e).backgroundColor");

    private async Task<string> WriteAsync(MatrixRecord result, BaselineDiff? baseline = null)
    {
        var path = _dir.File(HtmlReport.FileName);
        await HtmlReport.WriteAsync(result, path, baseline, CancellationToken.None);
        return path;
    }

    private async Task<string> OpenAsync(MatrixRecord result, BaselineDiff? baseline = null)
    {
        var path = await WriteAsync(result, baseline);
        var response = await _page.GotoAsync(new Uri(path).AbsoluteUri);
        response.Should().NotBeNull();
        return path;
    }
}
