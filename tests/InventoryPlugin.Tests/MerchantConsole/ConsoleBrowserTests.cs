using System.Net.Http.Json;
using System.Text.Json.Nodes;
using InventoryPlugin.MerchantConsole;
using InventoryPlugin.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace InventoryPlugin.Tests.MerchantConsole;

/// <summary>
/// The console in a real Chromium (Debian's, driven by Playwright): a merchant signs in, adds, finds,
/// adjusts and edits stock, meets a stale revision, reads a ledger and imports a CSV with a bad row.
/// </summary>
[NonParallelizable]
public sealed class ConsoleBrowserTests
{
    private PluginInstance _plugin = null!;
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;
    private IPage _page = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        (_playwright, _browser) = await ChromiumBrowser.LaunchAsync();
        _plugin = await PluginInstance.StartDevelopmentAsync();
        _page = await _browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 390, Height = 844 } });
        await _page.GotoAsync(new Uri(_plugin.Http.BaseAddress!, "console/").ToString());
        await _page.GetByRole(AriaRole.Button, new() { Name = "Use development token" }).ClickAsync();
        await Expect(_page.Locator("#tenant")).ToContainTextAsync(ConsoleEndpoints.DevelopmentTenant);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
        if (_plugin is not null)
        {
            await _plugin.DisposeAsync();
        }
    }

    [Test, Order(1)]
    public async Task A_merchant_adds_finds_and_adjusts_an_item()
    {
        await _page.Locator("#create summary").ClickAsync();
        await _page.GetByLabel("Catalog item id").FillAsync("console-shirt");
        await _page.GetByLabel("Quantity", new() { Exact = true }).FillAsync("12");
        await _page.GetByRole(AriaRole.Button, new() { Name = "Add", Exact = true }).ClickAsync();
        await Expect(_page.Locator("#stock-message")).ToHaveTextAsync("Added console-shirt with 12 on hand.");

        using var merchant = _plugin.Merchant(ConsoleEndpoints.DevelopmentTenant);
        await merchant.PostAsJsonAsync("inventory-items", new JsonObject
        {
            ["catalogReference"] = new JsonObject { ["appId"] = Envelopes.StoresAppId, ["catalogItemId"] = "console-mug" },
            ["quantity"] = 3,
        });

        await _page.GetByLabel("Search").FillAsync("console-shirt");
        await _page.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();
        var rows = _page.Locator("#stock-table tbody tr");
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows.First).ToContainTextAsync("console-shirt");

        var adjust = rows.First.GetByRole(AriaRole.Form);
        await adjust.GetByLabel("Change by").FillAsync("-2");
        await adjust.GetByLabel("Reason").FillAsync("damaged");
        await adjust.GetByRole(AriaRole.Button, new() { Name = "Adjust" }).ClickAsync();
        await Expect(_page.Locator("#stock-message")).ToHaveTextAsync("console-shirt: on hand now 10");
        await Expect(rows.First.Locator("td").Nth(2)).ToHaveTextAsync("10");
    }

    [Test, Order(2)]
    public async Task A_stale_revision_is_refused_clearly_and_the_ledger_reads_as_a_timeline()
    {
        await _page.GetByRole(AriaRole.Link, new() { Name = "console-shirt" }).ClickAsync();
        await Expect(_page.Locator("#timeline li")).ToHaveCountAsync(2);
        await Expect(_page.Locator("#timeline li").First).ToContainTextAsync("ADJUST -2 → 10 · damaged");
        await Expect(_page.Locator("#chart polyline")).ToHaveCountAsync(1);

        // Someone else changes the item while this page is open.
        using var merchant = _plugin.Merchant(ConsoleEndpoints.DevelopmentTenant);
        var id = await _page.Locator("#stock-table tbody tr").First.GetAttributeAsync("data-id");
        var current = await merchant.GetFromJsonAsync<JsonObject>($"inventory-items/{id}");
        using var patch = await merchant.PatchAsJsonAsync($"inventory-items/{id}", new JsonObject { ["revision"] = current!["revision"]!.GetValue<long>(), ["quantity"] = 8 });
        Assert.That(patch.IsSuccessStatusCode, Is.True);

        await _page.GetByLabel("Set on hand to").FillAsync("5");
        await _page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(_page.Locator("#record-message")).ToContainTextAsync("changed since you opened it");
        Assert.That((await merchant.GetFromJsonAsync<JsonObject>($"inventory-items/{id}"))!["quantity"]!.GetValue<long>(), Is.EqualTo(8), "nothing overwritten");
        await _page.GetByRole(AriaRole.Button, new() { Name = "← Back to stock" }).ClickAsync();
    }

    [Test, Order(3)]
    public async Task Low_stock_follows_each_items_threshold_set_on_its_page()
    {
        using var merchant = _plugin.Merchant(ConsoleEndpoints.DevelopmentTenant);
        foreach (var (item, quantity) in new[] { ("console-lamp", 2), ("console-rug", 50) })
        {
            using var created = await merchant.PostAsJsonAsync("inventory-items", new JsonObject
            {
                ["catalogReference"] = new JsonObject { ["appId"] = Envelopes.StoresAppId, ["catalogItemId"] = item },
                ["quantity"] = quantity,
                ["lowStockThreshold"] = 3,
            });
            Assert.That(created.IsSuccessStatusCode, Is.True);
        }

        var rows = _page.Locator("#stock-table tbody tr");
        await _page.GetByLabel("Search").FillAsync("");
        await _page.GetByLabel("Show").SelectOptionAsync("low");
        await _page.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows.First).ToContainTextAsync("console-lamp");

        // The rug's threshold raised above what it has: it is low now too.
        await _page.GetByLabel("Search").FillAsync("console-rug");
        await _page.GetByLabel("Show").SelectOptionAsync("");
        await _page.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();
        await _page.GetByRole(AriaRole.Link, new() { Name = "console-rug" }).ClickAsync();
        await Expect(_page.GetByLabel("Low-stock threshold")).ToHaveValueAsync("3");
        await _page.GetByLabel("Low-stock threshold").FillAsync("60");
        await _page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(_page.Locator("#record-message")).ToContainTextAsync("Saved");
        await Expect(_page.Locator("#record-facts")).ToContainTextAsync("LOW");
        await _page.GetByRole(AriaRole.Button, new() { Name = "← Back to stock" }).ClickAsync();
        await _page.GetByLabel("Search").FillAsync("");
        await _page.GetByLabel("Show").SelectOptionAsync("low");
        await _page.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();
        await Expect(rows).ToHaveCountAsync(2);
        await _page.GetByLabel("Show").SelectOptionAsync("");
    }

    [Test, Order(4)]
    public async Task A_csv_import_shows_each_rejected_row_with_its_reason()
    {
        await _page.Locator("#transfer summary").ClickAsync();
        var csv = "appId,catalogItemId,variantKey,locationId,trackQuantity,quantity\n" +
                  $"{Envelopes.StoresAppId},console-cap,,,true,7\n" +
                  $"{Envelopes.StoresAppId},console-bag,,,true,many\n";
        await _page.Locator("#import-file").SetInputFilesAsync(new FilePayload { Name = "stock.csv", MimeType = "text/csv", Buffer = System.Text.Encoding.UTF8.GetBytes(csv) });

        await Expect(_page.Locator("#import-result p")).ToHaveTextAsync("1 row(s) applied, 1 rejected.");
        await Expect(_page.Locator("#import-result li")).ToHaveTextAsync("Line 3: quantity must be a whole number");
    }
}
