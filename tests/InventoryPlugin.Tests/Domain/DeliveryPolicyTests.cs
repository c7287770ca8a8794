using InventoryPlugin.Events;

namespace InventoryPlugin.Tests.Domain;

public sealed class DeliveryPolicyTests
{
    private const long Created = 1_000_000;
    private static readonly WebhookOptions Options = new() { FirstRetrySeconds = 10, MaxRetrySeconds = 3600, GiveUpAfterSeconds = 86_400 };
    private static readonly AttemptResult Failure = new(false, 500, "the receiver answered 500");

    [Test]
    public void A_delivered_attempt_finishes_the_delivery()
    {
        var now = Created + 5;
        Assert.That(DeliveryPolicy.After(new AttemptResult(true, 204, null), 1, Created, now, Options), Is.EqualTo(new AttemptOutcome(DeliveryStatus.Delivered, now, now)));
    }

    [TestCase(1, 10_000)]
    [TestCase(2, 20_000)]
    [TestCase(3, 40_000)]
    [TestCase(9, 2_560_000)]
    [TestCase(10, 3_600_000)]
    [TestCase(40, 3_600_000)]
    public void A_failed_attempt_waits_twice_as_long_as_the_last_up_to_the_cap(long attempts, long expectedDelayMs)
    {
        var now = Created + 1_000;
        var outcome = DeliveryPolicy.After(Failure, attempts, Created, now, Options);
        Assert.That(outcome, Is.EqualTo(new AttemptOutcome(DeliveryStatus.Pending, now + expectedDelayMs, null)));
    }

    [Test]
    public void The_last_attempt_is_made_at_the_end_of_the_window_and_then_the_delivery_fails()
    {
        var giveUpAt = Created + (86_400 * 1000L);
        var nearTheEnd = DeliveryPolicy.After(Failure, 30, Created, giveUpAt - 60_000, Options);
        var atTheEnd = DeliveryPolicy.After(Failure, 31, Created, giveUpAt, Options);
        Assert.Multiple(() =>
        {
            Assert.That(nearTheEnd, Is.EqualTo(new AttemptOutcome(DeliveryStatus.Pending, giveUpAt, null)));
            Assert.That(atTheEnd, Is.EqualTo(new AttemptOutcome(DeliveryStatus.Failed, giveUpAt, giveUpAt)));
        });
    }
}
