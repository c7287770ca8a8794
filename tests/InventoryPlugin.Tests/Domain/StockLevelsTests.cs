using InventoryPlugin.Stock;

namespace InventoryPlugin.Tests.Domain;

public sealed class StockLevelsTests
{
    private static StockRecordState Counted(long quantity, long? threshold, long allocated = 0, StockLevel announced = StockLevel.Ok) =>
        new("r", true, quantity, false, false, null, 1, allocated, threshold, announced);

    [TestCase(10, null, 0, StockLevel.Ok, TestName = "No threshold: some available is OK")]
    [TestCase(4, 3, 0, StockLevel.Ok, TestName = "Above the threshold is OK")]
    [TestCase(3, 3, 0, StockLevel.Low, TestName = "At the threshold is LOW")]
    [TestCase(1, 3, 0, StockLevel.Low, TestName = "Below the threshold but available is LOW")]
    [TestCase(0, 3, 0, StockLevel.Out, TestName = "Nothing available is OUT, not LOW")]
    [TestCase(-2, null, 0, StockLevel.Out, TestName = "Sold past zero is OUT")]
    [TestCase(10, 3, 8, StockLevel.Low, TestName = "Held units do not count as available")]
    [TestCase(10, 3, 10, StockLevel.Out, TestName = "Everything held is OUT")]
    [TestCase(5, 0, 0, StockLevel.Ok, TestName = "A threshold of 0 never reports LOW")]
    public void The_level_of_a_counted_record(long quantity, long? threshold, long allocated, StockLevel expected) =>
        Assert.That(StockLevels.Of(Counted(quantity, threshold, allocated)), Is.EqualTo(expected));

    [Test]
    public void An_in_stock_tracked_record_is_OK_or_OUT_by_its_flag()
    {
        Assert.Multiple(() =>
        {
            Assert.That(StockLevels.Of(new StockRecordState("r", false, 0, true, false, null, 1, LowStockThreshold: 5)), Is.EqualTo(StockLevel.Ok));
            Assert.That(StockLevels.Of(new StockRecordState("r", false, 99, false, false, null, 1)), Is.EqualTo(StockLevel.Out));
        });
    }

    [TestCase(StockLevel.Ok, StockLevel.Low, StockEventType.LowStock)]
    [TestCase(StockLevel.Ok, StockLevel.Out, StockEventType.OutOfStock)]
    [TestCase(StockLevel.Low, StockLevel.Out, StockEventType.OutOfStock)]
    [TestCase(StockLevel.Out, StockLevel.Low, StockEventType.BackInStock)]
    [TestCase(StockLevel.Out, StockLevel.Ok, StockEventType.BackInStock)]
    [TestCase(StockLevel.Low, StockLevel.Ok, null)]
    [TestCase(StockLevel.Low, StockLevel.Low, null)]
    [TestCase(StockLevel.Out, StockLevel.Out, null)]
    [TestCase(StockLevel.Ok, StockLevel.Ok, null)]
    public void Crossings_are_edges(StockLevel announced, StockLevel now, StockEventType? expected) =>
        Assert.That(StockLevels.Crossing(announced, now), Is.EqualTo(expected));

    [Test]
    public void Judging_reports_the_quantities_before_the_transaction()
    {
        // Quantity 10 → 2 and a hold of 1 released: available 9 → 2.
        var after = Counted(2, 3, allocated: 0, announced: StockLevel.Ok);
        var change = StockLevels.Judge(after, quantityDelta: -8, allocatedDelta: -1);
        Assert.That(change, Is.EqualTo(new LevelChange(StockLevel.Low, StockEventType.LowStock, QuantityBefore: 10, AvailableBefore: 9)));
    }

    [Test]
    public void A_record_still_at_its_announced_level_is_not_judged_again()
    {
        Assert.Multiple(() =>
        {
            Assert.That(StockLevels.Judge(Counted(2, 3, announced: StockLevel.Low), -1, 0), Is.Null);
            // Back above the line: the level is remembered (re-arming LOW_STOCK) without an event.
            Assert.That(StockLevels.Judge(Counted(9, 3, announced: StockLevel.Low), 7, 0), Is.EqualTo(new LevelChange(StockLevel.Ok, null, 2, 2)));
        });
    }
}
