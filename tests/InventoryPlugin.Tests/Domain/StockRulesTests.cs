using InventoryPlugin.Stock;

namespace InventoryPlugin.Tests.Domain;

/// <summary>Contract 1.5 (judging a restricted decrement) and part 2 (floor, availability status), as plain functions.</summary>
public sealed class StockRulesTests
{
    private static StockRecordState Tracked(long quantity, bool preorder = false, long? limit = null) =>
        new("record-1", TrackQuantity: true, quantity, InStock: false, PreorderEnabled: preorder, PreorderLimit: limit, Revision: 1);

    private static StockRecordState InStockTracked(bool inStock, long quantity = 0, bool preorder = false) =>
        new("record-1", TrackQuantity: false, quantity, inStock, PreorderEnabled: preorder, PreorderLimit: null, Revision: 1);

    [Test]
    public void Without_preorder_the_floor_is_zero()
    {
        Assert.That(StockRules.Floor(Tracked(5)), Is.EqualTo(0));
    }

    [Test]
    public void A_preorder_with_a_limit_puts_the_floor_at_minus_the_limit()
    {
        Assert.That(StockRules.Floor(Tracked(5, preorder: true, limit: 20)), Is.EqualTo(-20));
    }

    [Test]
    public void An_unlimited_preorder_has_no_floor()
    {
        Assert.That(StockRules.Floor(Tracked(5, preorder: true, limit: null)), Is.Null);
    }

    [Test]
    public void A_preorder_limit_configured_while_disabled_does_not_lower_the_floor()
    {
        Assert.That(StockRules.Floor(Tracked(5, preorder: false, limit: 20)), Is.EqualTo(0));
    }

    [Test]
    public void Sellable_is_what_lies_above_the_floor_and_never_negative()
    {
        Assert.Multiple(() =>
        {
            Assert.That(StockRules.Sellable(Tracked(7)), Is.EqualTo(7));
            Assert.That(StockRules.Sellable(Tracked(0)), Is.EqualTo(0));
            Assert.That(StockRules.Sellable(Tracked(-3)), Is.EqualTo(0), "oversold by an unrestricted decrement");
            Assert.That(StockRules.Sellable(Tracked(3, preorder: true, limit: 5)), Is.EqualTo(8));
            Assert.That(StockRules.Sellable(Tracked(-2, preorder: true, limit: 5)), Is.EqualTo(3));
            Assert.That(StockRules.Sellable(Tracked(-9, preorder: true, limit: 5)), Is.EqualTo(0));
            Assert.That(StockRules.Sellable(Tracked(-1000, preorder: true, limit: null)), Is.Null, "unlimited");
        });
    }

    [Test]
    public void An_in_stock_tracked_record_sells_without_limit_when_in_stock_and_nothing_otherwise()
    {
        Assert.Multiple(() =>
        {
            Assert.That(StockRules.Sellable(InStockTracked(inStock: true)), Is.Null);
            Assert.That(StockRules.Sellable(InStockTracked(inStock: false, quantity: 50)), Is.EqualTo(0));
        });
    }

    [Test]
    public void Preorder_remaining_is_the_limit_less_what_was_sold_below_zero()
    {
        Assert.Multiple(() =>
        {
            Assert.That(StockRules.PreorderRemaining(Tracked(3, preorder: true, limit: 5)), Is.EqualTo(5), "stock above zero does not add to the limit");
            Assert.That(StockRules.PreorderRemaining(Tracked(0, preorder: true, limit: 5)), Is.EqualTo(5));
            Assert.That(StockRules.PreorderRemaining(Tracked(-2, preorder: true, limit: 5)), Is.EqualTo(3));
            Assert.That(StockRules.PreorderRemaining(Tracked(-5, preorder: true, limit: 5)), Is.EqualTo(0));
            Assert.That(StockRules.PreorderRemaining(Tracked(-8, preorder: true, limit: 5)), Is.EqualTo(0), "never negative");
        });
    }

    [Test]
    public void Preorder_remaining_is_null_when_unlimited_or_not_applicable()
    {
        Assert.Multiple(() =>
        {
            Assert.That(StockRules.PreorderRemaining(Tracked(-2, preorder: true, limit: null)), Is.Null);
            Assert.That(StockRules.PreorderRemaining(Tracked(-2)), Is.Null);
            Assert.That(StockRules.PreorderRemaining(InStockTracked(inStock: true, preorder: true)), Is.Null);
        });
    }

    public static IEnumerable<TestCaseData> Statuses()
    {
        yield return new TestCaseData(Tracked(1), AvailabilityStatus.InStock).SetArgDisplayNames("quantity 1");
        yield return new TestCaseData(Tracked(0), AvailabilityStatus.OutOfStock).SetArgDisplayNames("quantity 0, no preorder");
        yield return new TestCaseData(Tracked(-4), AvailabilityStatus.OutOfStock).SetArgDisplayNames("oversold, no preorder");
        yield return new TestCaseData(Tracked(3, preorder: true, limit: 5), AvailabilityStatus.InStock).SetArgDisplayNames("in stock with preorder enabled");
        yield return new TestCaseData(Tracked(0, preorder: true, limit: 5), AvailabilityStatus.Preorder).SetArgDisplayNames("quantity 0, preorder limit 5");
        yield return new TestCaseData(Tracked(-4, preorder: true, limit: 5), AvailabilityStatus.Preorder).SetArgDisplayNames("one preorder unit left");
        yield return new TestCaseData(Tracked(-5, preorder: true, limit: 5), AvailabilityStatus.OutOfStock).SetArgDisplayNames("preorder limit used up");
        yield return new TestCaseData(Tracked(-7, preorder: true, limit: 5), AvailabilityStatus.OutOfStock).SetArgDisplayNames("preorder limit overrun");
        yield return new TestCaseData(Tracked(0, preorder: true, limit: 0), AvailabilityStatus.OutOfStock).SetArgDisplayNames("preorder limit 0");
        yield return new TestCaseData(Tracked(-1000, preorder: true, limit: null), AvailabilityStatus.Preorder).SetArgDisplayNames("unlimited preorder");
        yield return new TestCaseData(InStockTracked(inStock: true), AvailabilityStatus.InStock).SetArgDisplayNames("in-stock tracked, in stock");
        yield return new TestCaseData(InStockTracked(inStock: false), AvailabilityStatus.OutOfStock).SetArgDisplayNames("in-stock tracked, out of stock");
        yield return new TestCaseData(InStockTracked(inStock: false, quantity: 50), AvailabilityStatus.OutOfStock).SetArgDisplayNames("in-stock tracked ignores a stale quantity");
        yield return new TestCaseData(InStockTracked(inStock: false, preorder: true), AvailabilityStatus.OutOfStock).SetArgDisplayNames("preorder is only for quantity tracking");
    }

    [TestCaseSource(nameof(Statuses))]
    public void The_availability_status_follows_quantity_preorder_and_in_stock(StockRecordState record, AvailabilityStatus expected)
    {
        Assert.That(StockRules.Status(record), Is.EqualTo(expected));
    }

    [Test]
    public void Exactly_the_stock_on_hand_is_allowed()
    {
        var verdict = StockRules.JudgeDecrement(Tracked(5), 5, UnknownItemPolicy.Reject);

        Assert.Multiple(() =>
        {
            Assert.That(verdict.Allowed, Is.True);
            Assert.That(verdict.AvailableQuantity, Is.EqualTo(5));
        });
    }

    [Test]
    public void One_unit_short_is_refused_as_insufficient_stock_with_what_is_available()
    {
        var verdict = StockRules.JudgeDecrement(Tracked(5), 6, UnknownItemPolicy.Reject);

        Assert.Multiple(() =>
        {
            Assert.That(verdict.Allowed, Is.False);
            Assert.That(verdict.Cause, Is.EqualTo(RefusalCause.InsufficientStock));
            Assert.That(verdict.AvailableQuantity, Is.EqualTo(5));
        });
    }

    [TestCase(0)]
    [TestCase(-3)]
    public void No_stock_is_refused_as_out_of_stock(long quantity)
    {
        var verdict = StockRules.JudgeDecrement(Tracked(quantity), 1, UnknownItemPolicy.Reject);

        Assert.Multiple(() =>
        {
            Assert.That(verdict.Allowed, Is.False);
            Assert.That(verdict.Cause, Is.EqualTo(RefusalCause.OutOfStock));
            Assert.That(verdict.AvailableQuantity, Is.EqualTo(0));
        });
    }

    [Test]
    public void An_in_stock_tracked_record_marked_out_of_stock_is_refused_as_out_of_stock()
    {
        var verdict = StockRules.JudgeDecrement(InStockTracked(inStock: false), 1, UnknownItemPolicy.Reject);

        Assert.Multiple(() =>
        {
            Assert.That(verdict.Allowed, Is.False);
            Assert.That(verdict.Cause, Is.EqualTo(RefusalCause.OutOfStock));
            Assert.That(verdict.AvailableQuantity, Is.EqualTo(0));
        });
    }

    [Test]
    public void An_in_stock_tracked_record_marked_in_stock_allows_any_quantity()
    {
        Assert.That(StockRules.JudgeDecrement(InStockTracked(inStock: true), 100_000, UnknownItemPolicy.Reject).Allowed, Is.True);
    }

    [Test]
    public void An_unknown_record_is_refused_as_unknown_item_under_the_reject_policy()
    {
        var verdict = StockRules.JudgeDecrement(null, 1, UnknownItemPolicy.Reject);

        Assert.Multiple(() =>
        {
            Assert.That(verdict.Allowed, Is.False);
            Assert.That(verdict.Cause, Is.EqualTo(RefusalCause.UnknownItem));
            Assert.That(verdict.AvailableQuantity, Is.EqualTo(0));
        });
    }

    [Test]
    public void An_unknown_record_is_allowed_under_the_allow_policy()
    {
        Assert.That(StockRules.JudgeDecrement(null, 100_000, UnknownItemPolicy.Allow).Allowed, Is.True);
    }

    [TestCase(0, 3, true)]
    [TestCase(0, 4, false)]
    [TestCase(2, 5, true)]
    [TestCase(2, 6, false)]
    [TestCase(-1, 2, true)]
    [TestCase(-1, 3, false)]
    public void A_preorder_limit_lets_stock_go_down_to_minus_the_limit_and_no_further(long quantity, long requested, bool allowed)
    {
        const long limit = 3;
        var verdict = StockRules.JudgeDecrement(Tracked(quantity, preorder: true, limit: limit), requested, UnknownItemPolicy.Reject);

        Assert.Multiple(() =>
        {
            Assert.That(verdict.Allowed, Is.EqualTo(allowed));
            Assert.That(verdict.AvailableQuantity, Is.EqualTo(quantity + limit));
            if (!allowed)
            {
                Assert.That(verdict.Cause, Is.EqualTo(RefusalCause.InsufficientStock));
            }
        });
    }

    [Test]
    public void A_used_up_preorder_limit_is_refused_as_out_of_stock()
    {
        var verdict = StockRules.JudgeDecrement(Tracked(-3, preorder: true, limit: 3), 1, UnknownItemPolicy.Reject);

        Assert.Multiple(() =>
        {
            Assert.That(verdict.Allowed, Is.False);
            Assert.That(verdict.Cause, Is.EqualTo(RefusalCause.OutOfStock));
            Assert.That(verdict.AvailableQuantity, Is.EqualTo(0));
        });
    }

    [Test]
    public void An_unlimited_preorder_allows_any_quantity()
    {
        Assert.That(StockRules.JudgeDecrement(Tracked(-1000, preorder: true, limit: null), 100_000, UnknownItemPolicy.Reject).Allowed, Is.True);
    }
}
