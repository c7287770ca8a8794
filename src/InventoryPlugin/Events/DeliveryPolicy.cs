namespace InventoryPlugin.Events;

/// <summary>
/// When a failed delivery is tried again: after <see cref="WebhookOptions.FirstRetrySeconds"/>, doubling
/// each time up to <see cref="WebhookOptions.MaxRetrySeconds"/>, until
/// <see cref="WebhookOptions.GiveUpAfterSeconds"/> after the delivery was created (a last attempt is
/// made at that moment); a delivery still failing then is FAILED for good.
/// </summary>
public static class DeliveryPolicy
{
    /// <param name="attempts">Attempts made, this one included.</param>
    public static AttemptOutcome After(AttemptResult result, long attempts, long createdAtMs, long nowMs, WebhookOptions options)
    {
        if (result.Delivered)
        {
            return new AttemptOutcome(DeliveryStatus.Delivered, nowMs, nowMs);
        }

        var giveUpAt = createdAtMs + (options.GiveUpAfterSeconds * 1000L);
        if (nowMs >= giveUpAt)
        {
            return new AttemptOutcome(DeliveryStatus.Failed, nowMs, nowMs);
        }

        var doublings = (int)Math.Min(Math.Max(attempts - 1, 0), 30);
        var delayMs = Math.Min(options.FirstRetrySeconds * 1000.0 * Math.Pow(2, doublings), options.MaxRetrySeconds * 1000.0);
        return new AttemptOutcome(DeliveryStatus.Pending, Math.Min(nowMs + (long)delayMs, giveUpAt), null);
    }
}
