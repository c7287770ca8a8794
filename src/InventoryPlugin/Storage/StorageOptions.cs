namespace InventoryPlugin.Storage;

public enum StorageProvider
{
    Sqlite,
    Postgres,
}

public sealed class StorageOptions
{
    public const string Section = "Storage";

    /// <summary><c>Sqlite</c> (the default, one embedded file) or <c>Postgres</c> (several replicas on one database).</summary>
    public string Provider { get; set; } = nameof(StorageProvider.Sqlite);

    /// <summary>
    /// In the provider's own form: for SQLite a Microsoft.Data.Sqlite connection string (relative paths
    /// are under the content root); for PostgreSQL an Npgsql one (<c>Host=...;Database=...</c>).
    /// </summary>
    public string ConnectionString { get; set; } = "Data Source=data/inventory.db";

    /// <summary>
    /// SQLite only: most write requests committed together (group commit). 1 turns group commit off:
    /// one durable commit per request, which caps throughput at the disk's flush rate.
    /// </summary>
    public int MaxBatchSize { get; set; } = 256;

    /// <summary>SQLite only: write requests waiting for the writer before callers are made to wait for room.</summary>
    public int QueueCapacity { get; set; } = 8192;

    /// <summary>The provider named by <see cref="Provider"/> (case-insensitive), or null when it names none.</summary>
    public StorageProvider? ParsedProvider =>
        Enum.GetValues<StorageProvider>().Where(p => p.ToString().Equals(Provider, StringComparison.OrdinalIgnoreCase)).Cast<StorageProvider?>().FirstOrDefault();
}
