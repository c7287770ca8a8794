using System.Text.Json;

namespace InventoryPlugin.Tests.Hosting;

/// <summary>
/// The .NET runtime settings the benchmarks chose travel with the service, in the
/// <c>runtimeconfig.json</c> its project writes (docs/operations.md, Runtime settings); the build
/// copies the service's own file beside these tests.
/// </summary>
public sealed class RuntimeSettingsTests
{
    [Test]
    public void The_service_runs_the_server_GC_with_a_bounded_gen0_budget_and_no_instrumented_JIT_tier()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "InventoryPlugin.runtimeconfig.json");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        var settings = document.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");

        Assert.Multiple(() =>
        {
            Assert.That(settings.GetProperty("System.GC.Server").GetBoolean(), Is.True);
            // Without it the GC lets gen0 grow to 10 times the surviving heap: (c) peaked at 161–171 MB.
            Assert.That(settings.GetProperty("System.GC.DGen0GrowthMaxFactor").GetInt32(), Is.EqualTo(2000));
            Assert.That(settings.GetProperty("System.Runtime.TieredPGO").GetBoolean(), Is.False);
        });
    }
}
