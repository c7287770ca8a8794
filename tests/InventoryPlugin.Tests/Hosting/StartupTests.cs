using System.Security.Cryptography;
using Dapper;
using InventoryPlugin.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace InventoryPlugin.Tests.Hosting;

public sealed class StartupTests
{
    private string _directory = null!;

    [SetUp]
    public void CreateDirectory() => _directory = Directory.CreateTempSubdirectory("startup-").FullName;

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(_directory, recursive: true);

    [Test]
    public async Task No_data_protection_key_ring_is_made_at_start()
    {
        // Nothing here protects data; a key ring made at start only writes an unencrypted key file
        // under the user's home and warns about it, on every fresh container.
        await using var plugin = await PluginInstance.StartAsync();

        var hostedServices = plugin.Services.GetServices<IHostedService>().Select(s => s.GetType().FullName).ToList();

        Assert.That(hostedServices, Has.None.StartsWith("Microsoft.AspNetCore.DataProtection"), string.Join(", ", hostedServices));
    }

    private static IEnumerable<TestCaseData> Misconfigurations()
    {
        yield return new TestCaseData("Wix__PublicKey", "not a key", "Platform public key #1 is neither PEM nor base64-encoded PEM.")
            .SetName("a platform key that is not PEM");
        yield return new TestCaseData("Wix__PublicKey", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----", "Platform public key #1 is not an RSA public key in PEM form.")
            .SetName("a platform key that is no RSA key");
        yield return new TestCaseData("Wix__AppId", "", "Wix:AppId is required: it is the only audience accepted.")
            .SetName("no app id");
        yield return new TestCaseData("MerchantAuth__SigningKey", "", "MerchantAuth:Authority or MerchantAuth:SigningKey is required for the merchant API.")
            .SetName("no merchant token key");
        yield return new TestCaseData("Storage__MaxBatchSize", "0", "Storage:MaxBatchSize must be between 1 and 4096.")
            .SetName("a batch size of 0");
        yield return new TestCaseData("Storage__Provider", "Oracle", "Storage:Provider must be Sqlite or Postgres.")
            .SetName("an unknown store provider");
    }

    [TestCase("--urls")]
    [TestCase("ASPNETCORE_URLS")]
    public async Task The_standard_urls_settings_win_over_Http_Urls(string how)
    {
        using var platformKey = RSA.Create(2048);
        var environment = ServiceProcess.Environment(_directory, platformKey, RandomNumberGenerator.GetBytes(32));
        var (wanted, other) = (FreePort(), FreePort());
        environment["Http__Urls"] = $"http://127.0.0.1:{other}";
        var url = $"http://127.0.0.1:{wanted}";
        if (how == "ASPNETCORE_URLS")
        {
            environment["ASPNETCORE_URLS"] = url;
        }

        await using var service = await ServiceProcess.StartAsync(_directory, environment, how == "--urls" ? ["--urls", url] : []);

        Assert.That(service.Address, Is.EqualTo(new Uri(url + "/")), service.Output);
    }

    private static int FreePort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    [Test]
    public async Task An_unreachable_postgres_database_stops_the_start_with_one_clear_line()
    {
        using var platformKey = RSA.Create(2048);
        var environment = ServiceProcess.Environment(_directory, platformKey, RandomNumberGenerator.GetBytes(32));
        environment["Storage__Provider"] = "Postgres";
        environment["Storage__ConnectionString"] = "Host=127.0.0.1;Port=1;Username=inventory;Database=inventory;Timeout=3";

        var (exitCode, output) = await ServiceProcess.RunCommandAsync(_directory, environment);

        Assert.Multiple(() =>
        {
            Assert.That(exitCode, Is.EqualTo(1), output);
            Assert.That(output, Does.Contain("InventoryPlugin cannot start: The PostgreSQL database at 127.0.0.1:1/inventory cannot be reached"), output);
            Assert.That(output, Does.Not.Contain("   at "), "no stack trace");
        });
    }

    [TestCaseSource(typeof(Stores), nameof(Stores.Both))]
    public async Task A_database_whose_schema_is_newer_than_the_binary_stops_the_start(StoreKind store)
    {
        using var platformKey = RSA.Create(2048);
        var storage = await Stores.SettingsAsync(store, _directory);
        await using (var plugin = await PluginInstance.StartAsync(storage))
        {
            using var connection = plugin.OpenDatabase();
            await connection.ExecuteAsync("INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_from_the_future.sql', 0)");
        }

        var environment = ServiceProcess.Environment(_directory, platformKey, RandomNumberGenerator.GetBytes(32));
        foreach (var (name, value) in Stores.AsEnvironment(storage))
        {
            environment[name] = value;
        }

        var (exitCode, output) = await ServiceProcess.RunCommandAsync(_directory, environment);

        Assert.Multiple(() =>
        {
            Assert.That(exitCode, Is.EqualTo(1), output);
            Assert.That(output, Does.Contain("InventoryPlugin cannot start: The database's schema is version 9999, newer than this binary knows"), output);
            Assert.That(output, Does.Not.Contain("Now listening"), "it never listened");
        });
    }

    [TestCaseSource(nameof(Misconfigurations))]
    public async Task Configuration_it_cannot_run_with_stops_the_start_with_one_clear_line(string name, string value, string message)
    {
        using var platformKey = RSA.Create(2048);
        var environment = ServiceProcess.Environment(_directory, platformKey, RandomNumberGenerator.GetBytes(32));
        environment[name] = value;

        var (exitCode, output) = await ServiceProcess.RunCommandAsync(_directory, environment);

        Assert.Multiple(() =>
        {
            Assert.That(exitCode, Is.EqualTo(1), output);
            Assert.That(output, Does.Contain("InventoryPlugin cannot start: " + message), output);
            Assert.That(output, Does.Not.Contain("   at "), "no stack trace");
            Assert.That(output, Does.Not.Contain("Now listening"), "it never listened");
        });
    }
}
