namespace InventoryPlugin.Hosting;

/// <summary>Configuration the service cannot run with. Program.cs reports its message, without a stack trace, and exits 1.</summary>
public sealed class ConfigurationException(string message, Exception? innerException = null) : Exception(message, innerException);
