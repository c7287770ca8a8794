using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using InventoryPlugin.Hosting;
using InventoryPlugin.Merchant;
using InventoryPlugin.Stock;
using InventoryPlugin.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace InventoryPlugin.Tests.Infrastructure;

public sealed record PlatformAnswer(int Status, string Body, string? ContentType)
{
    public JsonNode? Json => Body.Length == 0 ? null : JsonNode.Parse(Body);

    public string? ErrorCode => Json?["applicationError"]?["code"]?.GetValue<string>();
}

/// <summary>The stores every store-dependent test runs against: <c>[TestFixtureSource(typeof(Stores), nameof(Stores.Both))]</c>.</summary>
public enum StoreKind
{
    Sqlite,
    Postgres,
}

public static class Stores
{
    public static readonly StoreKind[] Both = [StoreKind.Sqlite, StoreKind.Postgres];

    /// <summary>Configuration for <paramref name="store"/>: a fresh SQLite file in <paramref name="directory"/>, or a fresh PostgreSQL database.</summary>
    public static async Task<Dictionary<string, string?>> SettingsAsync(StoreKind store, string directory) => store switch
    {
        StoreKind.Postgres => new()
        {
            ["Storage:Provider"] = "Postgres",
            ["Storage:ConnectionString"] = await PostgresServer.CreateDatabaseAsync(),
        },
        _ => new() { ["Storage:Provider"] = "Sqlite", ["Storage:ConnectionString"] = $"Data Source={Path.Combine(directory, "inventory.db")}" },
    };

    /// <summary>A connection to the database those settings name, for tests that must look beneath the service (or tamper with it).</summary>
    public static System.Data.Common.DbConnection Open(IReadOnlyDictionary<string, string?> settings)
    {
        var connectionString = settings["Storage:ConnectionString"]!;
        System.Data.Common.DbConnection connection = string.Equals(settings.GetValueOrDefault("Storage:Provider"), "Postgres", StringComparison.OrdinalIgnoreCase)
            ? new Npgsql.NpgsqlConnection(connectionString)
            : new Microsoft.Data.Sqlite.SqliteConnection(connectionString);
        connection.Open();
        return connection;
    }

    /// <summary>The same settings as environment variables of a service process (<c>Storage__Provider</c>...).</summary>
    public static IEnumerable<KeyValuePair<string, string>> AsEnvironment(IReadOnlyDictionary<string, string?> settings) =>
        settings.Select(s => KeyValuePair.Create(s.Key.Replace(":", "__", StringComparison.Ordinal), s.Value ?? ""));
}

/// <summary>A ledger entry as tests compare it: the operation by its stored name.</summary>
public sealed record LedgerLine(
    long Seq, string InstanceId, string RecordId, long Delta, long QuantityAfter, string Operation, string? Reason,
    string? OrderId, string? RequestId, string ActorType, string? ActorId, bool? RestrictFlag, long CreatedAt);

/// <summary>
/// The real service on a loopback port with its own store (a temporary SQLite file, or a fresh
/// PostgreSQL database) and a real RSA key pair; its client signs requests like the platform.
/// </summary>
public sealed class PluginInstance : IAsyncDisposable
{
    public const string AppId = "6f1c3b52-7d1e-4a41-9d0b-2f3b8e1c0a11";
    public const string MerchantIssuer = "https://merchant-tokens.test";
    public const string MerchantAudience = "inventory-plugin";

    private readonly WebApplication _app;

    private PluginInstance(WebApplication app, string directory, PlatformTokens tokens, CapturedLogs logs, MerchantTokens merchantTokens)
    {
        MerchantTokens = merchantTokens;
        _app = app;
        Directory = directory;
        Tokens = tokens;
        Logs = logs;
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        Http = new HttpClient { BaseAddress = new Uri(address) };
    }

    public HttpClient Http { get; }

    public PlatformTokens Tokens { get; }

    /// <summary>Mints merchant API tokens with the signing key this instance trusts.</summary>
    public MerchantTokens MerchantTokens { get; }

    public CapturedLogs Logs { get; }

    public string Directory { get; }

    public string DatabasePath => Path.Combine(Directory, "inventory.db");

    public IServiceProvider Services => _app.Services;

    public static string NewTenant() => Guid.NewGuid().ToString();

    /// <param name="settings">Configuration on top of the test defaults (keys as in appsettings.json, e.g. "Wix:Issuer").</param>
    public static async Task<PluginInstance> StartAsync(IDictionary<string, string?>? settings = null, RSA? platformKey = null, StoreKind store = StoreKind.Sqlite)
    {
        platformKey ??= RSA.Create(2048);
        var merchantKey = RandomNumberGenerator.GetBytes(32);
        var configuration = new Dictionary<string, string?>
        {
            ["Wix:AppId"] = AppId,
            ["Wix:PublicKey"] = platformKey.ExportSubjectPublicKeyInfoPem(),
            ["MerchantAuth:SigningKey"] = Convert.ToBase64String(merchantKey),
            ["MerchantAuth:Issuer"] = MerchantIssuer,
            ["MerchantAuth:Audience"] = MerchantAudience,
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            configuration[key] = value;
        }

        return await StartAsync("Testing", configuration, store,
            _ => (new PlatformTokens(platformKey, AppId), new MerchantTokens(merchantKey, MerchantIssuer, MerchantAudience)));
    }

    /// <summary>
    /// Started the way the README's run command starts it with no configuration: in Development, with the
    /// platform key pair and merchant signing key it makes under its own <c>data/dev-keys</c>.
    /// </summary>
    public static Task<PluginInstance> StartDevelopmentAsync(StoreKind store = StoreKind.Sqlite) =>
        StartAsync("Development", [], store, directory =>
        {
            var platformKey = RSA.Create();
            platformKey.ImportFromPem(File.ReadAllText(Path.Combine(directory, DevelopmentKeys.Folder, DevelopmentKeys.PrivateKeyFile)));
            var (merchantKey, _) = DevelopmentKeys.LoadOrCreateMerchantSigningKey(directory);
            return (new PlatformTokens(platformKey, DevelopmentKeys.AppId),
                new MerchantTokens(Convert.FromBase64String(merchantKey), DevelopmentKeys.MerchantIssuer, MerchantAuthOptions.DefaultAudience));
        });

    private static async Task<PluginInstance> StartAsync(string environment, Dictionary<string, string?> configuration, StoreKind store,
        Func<string, (PlatformTokens Platform, MerchantTokens Merchant)> tokens)
    {
        var directory = Path.Combine(Path.GetTempPath(), "inventory-plugin-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        foreach (var (key, value) in await Stores.SettingsAsync(store, directory))
        {
            configuration.TryAdd(key, value);
        }

        configuration.TryAdd("Http:Urls", "http://127.0.0.1:0");
        configuration.TryAdd("Serilog:MinimumLevel:Default", "Error");
        configuration.TryAdd("Serilog:WriteTo:0:Name", "Console");

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = environment, ContentRootPath = directory });
        builder.Configuration.AddInMemoryCollection(configuration);
        builder.AddInventoryPlugin();
        var logs = new CapturedLogs();
        builder.Logging.AddProvider(logs);
        var app = builder.Build();
        app.UseInventoryPlugin();
        await app.StartAsync();
        var (platformTokens, merchantTokens) = tokens(directory);
        return new PluginInstance(app, directory, platformTokens, logs, merchantTokens);
    }

    /// <summary>A client of the merchant API for one tenant, with the given scopes.</summary>
    public HttpClient Merchant(string tenant, string scopes = "inventory:read inventory:write")
    {
        var client = new HttpClient { BaseAddress = new Uri(Http.BaseAddress!, "api/v1/") };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", MerchantTokens.Mint(tenant, scopes));
        return client;
    }

    public Task<PlatformAnswer> DecrementAsync(JsonNode data) => SendAsync("/v1/decrement", Tokens.Sign(data));

    public Task<PlatformAnswer> IncrementAsync(JsonNode data) => SendAsync("/v1/increment", Tokens.Sign(data));

    public async Task<PlatformAnswer> SendAsync(string path, string body, string? contentType = "text/plain")
    {
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        if (contentType is not null)
        {
            content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        // Built by hand: Uri would read a path starting with "//" as a host name.
        using var request = new HttpRequestMessage(HttpMethod.Post, Http.BaseAddress!.GetLeftPart(UriPartial.Authority) + path) { Content = content };
        using var response = await Http.SendAsync(request);
        return new PlatformAnswer((int)response.StatusCode, await response.Content.ReadAsStringAsync(), response.Content.Headers.ContentType?.MediaType);
    }

    /// <summary>Creates a record through the store, as the merchant API does.</summary>
    public async Task<StockKey> SeedAsync(string instanceId, string catalogItemId, long quantity, string? locationId = null, string variantKey = "",
        bool trackQuantity = true, bool inStock = false, bool preorder = false, long? preorderLimit = null)
    {
        var key = new StockKey(instanceId, Envelopes.StoresAppId, catalogItemId, variantKey, locationId ?? TenantSettings.FixedDefaultLocationId);
        var outcome = await Services.GetRequiredService<IStockStore>().CreateAsync(
            new NewStockRecord(key, trackQuantity, quantity, inStock, new PreorderSettings(preorder, preorderLimit, null)), new Actor("TEST", null), CancellationToken.None);
        Assert.That(outcome, Is.TypeOf<RecordOutcome.Created>(), "the seeded record already existed");
        return key;
    }

    public IStockReader Reader => Services.GetRequiredService<IStockReader>();

    /// <summary>The Storage settings this instance runs with, for a second process or command on the same store.</summary>
    public Dictionary<string, string?> StorageSettings
    {
        get
        {
            var options = Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<StorageOptions>>().Value;
            return new() { ["Storage:Provider"] = options.Provider, ["Storage:ConnectionString"] = options.ConnectionString };
        }
    }

    /// <summary>A connection to the instance's own database, for tests that must look beneath the service (or tamper with it).</summary>
    public System.Data.Common.DbConnection OpenDatabase() => Stores.Open(StorageSettings);

    public StockRecordState? Record(StockKey key) => Reader.FindByKeysAsync([key], CancellationToken.None).GetAwaiter().GetResult()[0]?.State;

    public long QuantityOf(StockKey key) => Record(key)?.Quantity ?? throw new AssertionException($"no record for {key}");

    /// <summary>Every record of a tenant with its quantity: a snapshot to prove that nothing changed.</summary>
    public IReadOnlyList<(string Id, long Quantity, long Revision)> Snapshot(string instanceId)
    {
        var records = new List<(string, long, long)>();
        string? after = null;
        while (Reader.PageAsync(instanceId, new StockRecordFilter(), after, 1000, CancellationToken.None).GetAwaiter().GetResult() is { Count: > 0 } page)
        {
            records.AddRange(page.Select(r => (r.Id, r.Quantity, r.Revision)));
            after = page[^1].Id;
        }

        return records;
    }

    /// <summary>A tenant's whole ledger in seq order, read through the store like the merchant API reads it.</summary>
    public IReadOnlyList<LedgerLine> Ledger(string instanceId)
    {
        var entries = new List<LedgerLine>();
        long after = 0;
        while (Reader.LedgerPageAsync(instanceId, new LedgerFilter(), after, 1000, CancellationToken.None).GetAwaiter().GetResult() is { Count: > 0 } page)
        {
            entries.AddRange(page.Select(e => new LedgerLine(
                e.Seq, e.InstanceId, e.RecordId, e.Delta, e.QuantityAfter, LedgerEntry.OperationName(e.Operation), e.Reason,
                e.OrderId, e.RequestId, e.ActorType, e.ActorId, e.RestrictFlag, e.CreatedAt)));
            after = page[^1].Seq;
        }

        return entries;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Npgsql.NpgsqlConnection.ClearAllPools();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless; a failed test run should not hide behind it.
        }
    }
}
