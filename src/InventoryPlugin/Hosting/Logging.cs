using Serilog;
using Serilog.Settings.Configuration;

namespace InventoryPlugin.Hosting;

public static class Logging
{
    /// <summary>
    /// Serilog behind Microsoft.Extensions.Logging, one logger per host (no static bootstrap logger,
    /// which would be frozen by the first host and break the next one in the same process).
    /// </summary>
    public static WebApplicationBuilder AddInventoryPluginLogging(this WebApplicationBuilder builder)
    {
        // Defaults first; the Serilog section, where present, overrides them.
        var configuration = new LoggerConfiguration()
            .MinimumLevel.Information()
            .MinimumLevel.Override("Microsoft", Serilog.Events.LogEventLevel.Warning)
            .MinimumLevel.Override("Microsoft.Hosting.Lifetime", Serilog.Events.LogEventLevel.Information);
        var serilog = builder.Configuration.GetSection("Serilog");
        if (serilog.Exists())
        {
            configuration.ReadFrom.Configuration(
                builder.Configuration,
                new ConfigurationReaderOptions(typeof(ConsoleLoggerConfigurationExtensions).Assembly));
        }

        // Configured by environment variables alone (no appsettings.json), the service still logs somewhere.
        if (!serilog.GetSection("WriteTo").Exists())
        {
            configuration.WriteTo.Console();
        }

        builder.Logging.ClearProviders();
        builder.Logging.AddSerilog(configuration.CreateLogger(), dispose: true);
        return builder;
    }
}
