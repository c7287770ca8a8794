using InventoryPlugin.Hosting;
using Microsoft.Extensions.Options;

var builder = WebApplication.CreateBuilder(args);
if (ServiceCommands.IsCommand(args))
{
    return await ServiceCommands.RunAsync(builder, args, Console.Out);
}

try
{
    builder.AddInventoryPlugin();
    var app = builder.Build();
    app.UseInventoryPlugin();
    await app.RunAsync();
    return 0;
}
catch (Exception exception) when (exception is ConfigurationException or OptionsValidationException)
{
    // The operator's to fix: say what is wrong, in one line, and exit instead of crashing with a stack trace.
    await Console.Error.WriteLineAsync($"InventoryPlugin cannot start: {exception.Message}");
    return 1;
}
