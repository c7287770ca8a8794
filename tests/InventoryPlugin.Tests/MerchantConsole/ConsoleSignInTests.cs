using InventoryPlugin.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace InventoryPlugin.Tests.MerchantConsole;

/// <summary>With <c>MerchantAuth:Authority</c> and a console client id, the console signs in by authorization code with PKCE.</summary>
[NonParallelizable]
public sealed class ConsoleSignInTests
{
    [Test]
    public async Task The_console_signs_in_at_the_authority_with_pkce_and_no_token_reaches_a_url()
    {
        var (playwright, browser) = await ChromiumBrowser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        await using var authority = await IdentityProvider.StartAsync();
        authority.Publish(SigningKey.Create("key-1"));
        authority.Tenant = PluginInstance.NewTenant();
        await using var plugin = await PluginInstance.StartAsync(new Dictionary<string, string?>
        {
            ["MerchantAuth:Authority"] = authority.Url,
            ["MerchantAuth:RequireHttpsMetadata"] = "false",
            ["MerchantAuth:Issuer"] = authority.Url,
            ["MerchantAuth:SigningKey"] = "",
            ["MerchantAuth:ConsoleClientId"] = "inventory-console",
        });
        var page = await browser.NewPageAsync();
        var urls = new List<string>();
        page.FrameNavigated += (_, frame) => urls.Add(frame.Url);

        await page.GotoAsync(new Uri(plugin.Http.BaseAddress!, "console/").ToString());
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Use development token" })).ToBeHiddenAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in with your identity provider" }).ClickAsync();

        await Expect(page.Locator("#tenant")).ToContainTextAsync(authority.Tenant);
        await Expect(page.Locator("#stock-message")).ToHaveTextAsync("No items match.");
        Assert.Multiple(() =>
        {
            Assert.That(authority.TokensIssued, Is.EqualTo(1), "one code exchanged, with a verifier matching its challenge");
            Assert.That(page.Url, Does.Not.Contain("code="), "the code is taken out of the address bar");
            Assert.That(urls, Has.None.Contains("eyJ"), "no token in any URL the tab visited");
        });
    }
}
