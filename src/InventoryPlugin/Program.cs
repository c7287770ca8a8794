using InventoryPlugin.Hosting;

var builder = WebApplication.CreateBuilder(args);
if (ServiceCommands.IsCommand(args))
{
    return await ServiceCommands.RunAsync(builder, args, Console.Out);
}

builder.AddInventoryPlugin();

var app = builder.Build();
app.UseInventoryPlugin();
await app.RunAsync();
return 0;
