namespace InventoryPlugin.Storage;

public sealed class StorageOptions
{
    public const string Section = "Storage";

    /// <summary>A Microsoft.Data.Sqlite connection string; relative paths are under the content root.</summary>
    public string ConnectionString { get; set; } = "Data Source=data/inventory.db";

    /// <summary>
    /// Most write requests committed together (group commit). 1 turns group commit off: one durable
    /// commit per request, which caps throughput at the disk's flush rate.
    /// </summary>
    public int MaxBatchSize { get; set; } = 256;

    /// <summary>Write requests waiting for the writer before callers are made to wait for room.</summary>
    public int QueueCapacity { get; set; } = 8192;
}
