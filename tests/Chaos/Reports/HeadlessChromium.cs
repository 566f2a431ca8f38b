using Microsoft.Playwright;
using NUnit.Framework;

namespace Chaos.Tests.Reports;

/// <summary>
/// One headless Debian Chromium for the whole test run, driven by Playwright's bundled driver.
/// Playwright must never download a browser here (there is no network for it): the system
/// Chromium is launched by path, and the flags keep it from calling home.
/// </summary>
[SetUpFixture]
public sealed class HeadlessChromium
{
    private const string DefaultPath = "/usr/bin/chromium";

    private static IPlaywright? s_playwright;
    private static IBrowser? s_browser;

    public static Task<IBrowserContext> NewContextAsync(BrowserNewContextOptions? options = null) =>
        (s_browser ?? throw new InvalidOperationException("The browser fixture did not start.")).NewContextAsync(options);

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        var path = Environment.GetEnvironmentVariable("CHAOS_CHROMIUM") ?? DefaultPath;
        if (!File.Exists(path))
            Assert.Fail($"Chromium is not at {path}. Install it with `apt-get install -y chromium`, or point CHAOS_CHROMIUM at a Chromium binary.");

        // Starting the bundled node driver has no timeout of its own.
        s_playwright = await Playwright.CreateAsync().WaitAsync(TimeSpan.FromSeconds(60));
        s_browser = await s_playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = path,
            Headless = true,
            // Two shared cores and a cold start: generous, but bounded.
            Timeout = 60_000,
            Args =
            [
                "--no-sandbox", // root cannot use Chromium's sandbox
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        });
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (s_browser is not null)
            await s_browser.CloseAsync();
        s_playwright?.Dispose();
    }
}
