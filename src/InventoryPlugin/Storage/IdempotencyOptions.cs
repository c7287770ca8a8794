namespace InventoryPlugin.Storage;

public sealed class IdempotencyOptions
{
    public const string Section = "Idempotency";

    /// <summary>How long an answer is kept for retries of its request.</summary>
    public int RetentionDays { get; set; } = 7;
}
