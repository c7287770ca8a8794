using Microsoft.Playwright;

namespace InventoryPlugin.Tests.Infrastructure;

/// <summary>Debian's Chromium driven by Playwright (browser downloads are impossible here), or a clear skip.</summary>
public static class ChromiumBrowser
{
    /// <summary>Env var: the Chromium executable (default /usr/bin/chromium).</summary>
    public const string ExecutableVariable = "INVENTORY_TEST_CHROMIUM";

    /// <summary>Env var: when "1", a missing browser fails the test instead of skipping it (CI sets it).</summary>
    public const string RequireVariable = "INVENTORY_REQUIRE_BROWSER";

    public static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        var chromium = Environment.GetEnvironmentVariable(ExecutableVariable) ?? "/usr/bin/chromium";
        if (!File.Exists(chromium))
        {
            var why = $"Browser tests skipped: no Chromium at {chromium} (apt-get install -y chromium, or set {ExecutableVariable}).";
            if (Environment.GetEnvironmentVariable(RequireVariable) == "1")
            {
                Assert.Fail(why);
            }

            Assert.Ignore(why);
        }

        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = chromium,
            Headless = true,
            // No sandbox as root; no background traffic: this machine's network is closed.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
        });
        return (playwright, browser);
    }
}
