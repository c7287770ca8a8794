using InventoryPlugin.Stock;

namespace InventoryPlugin.Tests.Domain;

public sealed class AllocationRulesTests
{
    private const long Now = 1_000_000;

    private static Allocation Held(AllocationStatus status, long expiresAt) =>
        new("a", "t", status, null, null, expiresAt, 0, null, [new AllocationItem("r", "l", "{}", 2)]);

    private static IEnumerable<TestCaseData> Closings()
    {
        static TestCaseData Case(AllocationStatus stored, long expiresAt, AllocationStatus wanted, CloseDecision expected, string name) =>
            new TestCaseData(stored, expiresAt, wanted, expected).SetName(name);

        yield return Case(AllocationStatus.Open, Now + 1, AllocationStatus.Committed, new CloseDecision.Finish(AllocationStatus.Committed), "Committing an open hold commits it");
        yield return Case(AllocationStatus.Open, Now + 1, AllocationStatus.Released, new CloseDecision.Finish(AllocationStatus.Released), "Releasing an open hold releases it");
        yield return Case(AllocationStatus.Open, Now, AllocationStatus.Committed, new CloseDecision.Conflict(AllocationStatus.Expired), "An open hold at its expiry can no longer be committed");
        yield return Case(AllocationStatus.Open, Now, AllocationStatus.Released, new CloseDecision.Finish(AllocationStatus.Expired), "Releasing an expired unswept hold expires it");
        yield return Case(AllocationStatus.Committed, Now + 1, AllocationStatus.Committed, new CloseDecision.Replay(), "A second commit replays");
        yield return Case(AllocationStatus.Released, Now + 1, AllocationStatus.Released, new CloseDecision.Replay(), "A second release replays");
        yield return Case(AllocationStatus.Expired, Now - 1, AllocationStatus.Released, new CloseDecision.Replay(), "Releasing a swept hold replays its expiry");
        yield return Case(AllocationStatus.Committed, Now + 1, AllocationStatus.Released, new CloseDecision.Conflict(AllocationStatus.Committed), "A committed hold cannot be released");
        yield return Case(AllocationStatus.Released, Now + 1, AllocationStatus.Committed, new CloseDecision.Conflict(AllocationStatus.Released), "A released hold cannot be committed");
    }

    [TestCaseSource(nameof(Closings))]
    public void Closing_a_hold(AllocationStatus stored, long expiresAt, AllocationStatus wanted, CloseDecision expected) =>
        Assert.That(AllocationRules.OnClose(Held(stored, expiresAt), wanted, Now), Is.EqualTo(expected));

    [Test]
    public void Held_units_are_not_for_sale_to_others_but_are_to_their_own_order()
    {
        var record = new StockRecordState("r", TrackQuantity: true, Quantity: 5, InStock: false, PreorderEnabled: false, PreorderLimit: null, Revision: 1, Allocated: 5);

        var others = StockRules.JudgeDecrement(record, 1, UnknownItemPolicy.Reject);
        var own = StockRules.JudgeDecrement(AllocationRules.WithoutHolds([record], new Dictionary<string, long> { ["r"] = 5 })[0], 5, UnknownItemPolicy.Reject);

        Assert.Multiple(() =>
        {
            Assert.That(others, Is.EqualTo(DecrementVerdict.Refuse(RefusalCause.OutOfStock, 0)));
            Assert.That(own.Allowed, Is.True);
            Assert.That(StockRules.Status(record), Is.EqualTo(AvailabilityStatus.OutOfStock), "status follows available, not on hand");
        });
    }
}
