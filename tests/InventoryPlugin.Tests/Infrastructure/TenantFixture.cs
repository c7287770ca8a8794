namespace InventoryPlugin.Tests.Infrastructure;

/// <summary>One service per test class, and a tenant of its own for every test.</summary>
public abstract class TenantFixture(StoreKind store = StoreKind.Sqlite)
{
    protected StoreKind Store { get; } = store;

    protected PluginInstance Plugin { get; private set; } = null!;

    protected string Tenant { get; private set; } = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => Plugin = await PluginInstance.StartAsync(store: Store);

    [OneTimeTearDown]
    public async Task StopAsync() => await Plugin.DisposeAsync();

    [SetUp]
    public virtual void NewTenant() => Tenant = PluginInstance.NewTenant();
}
