using InventoryPlugin.Storage;

namespace InventoryPlugin.Bench;

/// <summary>What the requests of a pool look like (scenarios a and d share one).</summary>
public enum PoolKind
{
    /// <summary>Restricted decrements of one item, quantity 1, each on a random one of 1,000 records.</summary>
    SingleItem,

    /// <summary>All on one record: three restricted decrements of 1, then an increment of 3, repeated.</summary>
    HotRecord,

    /// <summary>Restricted decrements of 50 distinct random records of the 1,000, quantity 1 each.</summary>
    FiftyItems,
}

/// <summary>One benchmark scenario: a request pool, the seeded stock and the service's group-commit setting.</summary>
/// <param name="MaxRate">
/// The most requests per second the pools are sized for (times warm-up plus duration): the in-process
/// pool at this rate; the signed pool at 1.5 times the measured ceiling, up to this rate.
/// </param>
public sealed record Scenario(string Id, string Title, PoolKind Pool, int MaxBatchSize, int MaxRate)
{
    public const int Records = 1000;
    public const int HotRecordQuantity = 10_000;
    public const int SpreadRecordQuantity = 1_000_000;

    private static readonly int DefaultBatchSize = new StorageOptions().MaxBatchSize;

    public static IReadOnlyList<Scenario> All { get; } =
    [
        new("a", "restricted 1-item decrements over 1,000 records", PoolKind.SingleItem, DefaultBatchSize, 30_000),
        new("b", "one hot record, 3 decrements : 1 increment", PoolKind.HotRecord, DefaultBatchSize, 30_000),
        new("c", "restricted 50-item decrements over 1,000 records", PoolKind.FiftyItems, DefaultBatchSize, 5_000),
        new("d", "as (a) without group commit (Storage:MaxBatchSize=1)", PoolKind.SingleItem, 1, 30_000),
    ];

    public static Scenario? Find(string id) => All.FirstOrDefault(s => s.Id == id);

    /// <summary>The records every run of this scenario starts from: catalog item id and quantity.</summary>
    public IReadOnlyList<(string CatalogItemId, long Quantity)> Seed() => Pool == PoolKind.HotRecord
        ? [(HotItemId, HotRecordQuantity)]
        : Enumerable.Range(0, Records).Select(i => (ItemId(i), (long)SpreadRecordQuantity)).ToList();

    public const string HotItemId = "bench-hot";

    public static string ItemId(int index) => $"bench-item-{index:D4}";
}
