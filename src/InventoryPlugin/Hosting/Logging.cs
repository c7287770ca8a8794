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
        var configuration = new LoggerConfiguration();
        if (builder.Configuration.GetSection("Serilog").Exists())
        {
            configuration.ReadFrom.Configuration(
                builder.Configuration,
                new ConfigurationReaderOptions(typeof(ConsoleLoggerConfigurationExtensions).Assembly));
        }
        else
        {
            configuration.MinimumLevel.Information()
                .MinimumLevel.Override("Microsoft", Serilog.Events.LogEventLevel.Warning)
                .WriteTo.Console();
        }

        builder.Logging.ClearProviders();
        builder.Logging.AddSerilog(configuration.CreateLogger(), dispose: true);
        return builder;
    }
}
