using System.Net;
using System.Net.Sockets;
using InventoryPlugin.Hosting;
using InventoryPlugin.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;

namespace InventoryPlugin.Tests.Hosting;

/// <summary>The Docker image's health probe: the service binary asking its own <c>/healthz</c>.</summary>
public sealed class HealthCheckCommandTests
{
    [Test]
    public async Task Healthy_when_the_service_answers_on_the_wildcard_address_it_listens_on()
    {
        await using var plugin = await PluginInstance.StartAsync();
        var (exitCode, output) = await RunAsync($"http://+:{plugin.Http.BaseAddress!.Port}");
        Assert.That(exitCode, Is.Zero, output);
    }

    [Test]
    public async Task Unhealthy_when_nothing_listens()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var (exitCode, output) = await RunAsync($"http://0.0.0.0:{port}");
        Assert.That(exitCode, Is.EqualTo(1), output);
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string urls)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = Path.GetTempPath(), EnvironmentName = "Production" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Http:Urls"] = urls });
        using var output = new StringWriter();
        var exitCode = await ServiceCommands.RunAsync(builder, [ServiceCommands.HealthCheck], output);
        return (exitCode, output.ToString());
    }
}
