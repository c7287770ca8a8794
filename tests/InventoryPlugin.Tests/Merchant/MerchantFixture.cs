using InventoryPlugin.Tests.Infrastructure;

namespace InventoryPlugin.Tests.Merchant;

/// <summary>One service per test class; a fresh tenant, and a merchant client for it, per test.</summary>
public abstract class MerchantFixture
{
    protected const string Warehouse = "5b0e3a55-3f7e-4d3b-9c51-8d8f1b6c2a01";

    protected PluginInstance Plugin { get; private set; } = null!;

    protected string Tenant { get; private set; } = null!;

    protected HttpClient Client { get; private set; } = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => Plugin = await PluginInstance.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await Plugin.DisposeAsync();

    [SetUp]
    public void NewTenant()
    {
        Tenant = PluginInstance.NewTenant();
        Client = Plugin.Merchant(Tenant);
    }

    [TearDown]
    public void DisposeClient() => Client.Dispose();
}
