using InventoryPlugin.Samples;

return await SamplesCommand.RunAsync(args, Console.Out, Console.Error);
