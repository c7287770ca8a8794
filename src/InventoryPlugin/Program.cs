using InventoryPlugin.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddInventoryPlugin();

var app = builder.Build();
app.UseInventoryPlugin();
app.Run();
