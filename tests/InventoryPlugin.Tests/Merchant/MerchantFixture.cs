using InventoryPlugin.Tests.Infrastructure;

namespace InventoryPlugin.Tests.Merchant;

/// <summary>A tenant per test (<see cref="TenantFixture"/>) and a merchant client for it.</summary>
public abstract class MerchantFixture(StoreKind store = StoreKind.Sqlite) : TenantFixture(store)
{
    protected const string Warehouse = "5b0e3a55-3f7e-4d3b-9c51-8d8f1b6c2a01";

    protected HttpClient Client { get; private set; } = null!;

    public override void NewTenant()
    {
        base.NewTenant();
        Client = Plugin.Merchant(Tenant);
    }

    [TearDown]
    public void DisposeClient() => Client.Dispose();
}
