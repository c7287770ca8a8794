using InventoryPlugin.Stock;

namespace InventoryPlugin.Tests.Domain;

/// <summary>How a platform request becomes record changes, without HTTP or a store.</summary>
public sealed class StockChangePlanTests
{
    private const string Tenant = "t";
    private const string Location = "l";

    private static StockLine Line(string item, int quantity, string? location = null) =>
        new("app", item, "", location, quantity, $$"""{"catalogItemId":"{{item}}"}""");

    private static StockChange Change(StockOperation operation, bool restrict, params StockLine[] lines) =>
        new(operation, Tenant, "r", [], "o", null, restrict, new Actor("TEST", null), lines);

    private static StockRecordState Counted(string id, long quantity, long allocated = 0) =>
        new(id, TrackQuantity: true, quantity, InStock: false, PreorderEnabled: false, PreorderLimit: null, Revision: 1, allocated);

    private static readonly TenantSettings Settings = new(Location, UnknownItemPolicy.Reject);

    [Test]
    public void Lines_of_one_record_are_summed_and_the_default_location_fills_in()
    {
        var demands = StockChangePlan.SumPerRecord(Change(StockOperation.Decrement, true, Line("a", 2), Line("b", 1), Line("a", 3, Location)), Settings);

        Assert.That(demands.Select(d => (d.Key.CatalogItemId, d.Key.LocationId, d.Quantity)), Is.EqualTo(new[] { ("a", Location, 5L), ("b", Location, 1L) }));
    }

    [Test]
    public void A_restricted_request_is_judged_on_the_sums_and_refused_whole()
    {
        var change = Change(StockOperation.Decrement, true, Line("a", 2), Line("a", 2), Line("b", 1));
        var demands = StockChangePlan.SumPerRecord(change, Settings);

        var decision = StockChangePlan.Decide(change, demands, [Counted("ra", 3), Counted("rb", 5)], UnknownItemPolicy.Reject);

        Assert.That(decision, Is.TypeOf<ChangeDecision.Refuse>());
        var refused = ((ChangeDecision.Refuse)decision).Items;
        Assert.That(refused.Select(i => (i.RequestedQuantity, i.AvailableQuantity, i.Cause)), Is.EqualTo(new[] { (4L, 3L, RefusalCause.InsufficientStock) }),
            "each line alone fits; their sum does not; b is not listed");
    }

    [Test]
    public void Units_held_by_allocations_raise_the_guard_of_a_restricted_update()
    {
        var change = Change(StockOperation.Decrement, true, Line("a", 2));
        var decision = StockChangePlan.Decide(change, StockChangePlan.SumPerRecord(change, Settings), [Counted("ra", 5, allocated: 3)], UnknownItemPolicy.Reject);

        var update = (RecordStep.Update)((ChangeDecision.Apply)decision).Steps.Single();
        Assert.Multiple(() =>
        {
            Assert.That(update.Delta, Is.EqualTo(-2));
            Assert.That(update.Floor, Is.EqualTo(3), "quantity may not fall below what the holds keep");
        });
    }

    [Test]
    public void An_unknown_record_is_refused_left_untracked_or_created_as_the_request_and_policy_say()
    {
        var restricted = Change(StockOperation.Decrement, true, Line("ghost", 1));
        var unrestricted = Change(StockOperation.Decrement, false, Line("ghost", 1));
        var increment = Change(StockOperation.Increment, false, Line("ghost", 4));

        Assert.Multiple(() =>
        {
            Assert.That(StockChangePlan.Decide(restricted, StockChangePlan.SumPerRecord(restricted, Settings), [null], UnknownItemPolicy.Reject),
                Is.TypeOf<ChangeDecision.Refuse>());
            Assert.That(((ChangeDecision.Apply)StockChangePlan.Decide(restricted, StockChangePlan.SumPerRecord(restricted, Settings), [null], UnknownItemPolicy.Allow)).Steps,
                Is.Empty, "untracked under Allow: nothing created or ledgered");
            Assert.That(((ChangeDecision.Apply)StockChangePlan.Decide(unrestricted, StockChangePlan.SumPerRecord(unrestricted, Settings), [null], UnknownItemPolicy.Reject)).Steps.Single(),
                Is.EqualTo(new RecordStep.Create(new Demand(new StockKey(Tenant, "app", "ghost", "", Location), """{"catalogItemId":"ghost"}""", 1), -1)));
            Assert.That(((ChangeDecision.Apply)StockChangePlan.Decide(increment, StockChangePlan.SumPerRecord(increment, Settings), [null], UnknownItemPolicy.Reject)).Steps.Single().Delta,
                Is.EqualTo(4));
        });
    }
}
