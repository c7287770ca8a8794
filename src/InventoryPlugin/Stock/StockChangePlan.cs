namespace InventoryPlugin.Stock;

/// <summary>The lines of a request that resolve to one stock record, summed: judged and changed once.</summary>
/// <param name="CatalogReferenceJson">The first such line's catalog reference as sent, echoed back in refusals.</param>
public sealed record Demand(StockKey Key, string CatalogReferenceJson, long Quantity);

/// <summary>What one demand does to its record once the request is allowed.</summary>
public abstract record RecordStep(Demand Demand, long Delta)
{
    /// <summary>
    /// Change an existing record by <paramref name="Delta"/>, guarded by the revision that was judged and,
    /// for a restricted decrement of a quantity-tracked record, by its <paramref name="Floor"/>.
    /// </summary>
    public sealed record Update(Demand Demand, StockRecordState Record, long Delta, long? Floor) : RecordStep(Demand, Delta);

    /// <summary>Create the record (quantity-tracked, from 0, marked auto-created) and apply <paramref name="Delta"/> to it.</summary>
    public sealed record Create(Demand Demand, long Delta) : RecordStep(Demand, Delta);
}

/// <summary>The decision on a whole request: refused (nothing changes) or the steps that apply it.</summary>
public abstract record ChangeDecision
{
    private ChangeDecision()
    {
    }

    public sealed record Apply(IReadOnlyList<RecordStep> Steps) : ChangeDecision;

    public sealed record Refuse(IReadOnlyList<RefusedItem> Items) : ChangeDecision;
}

/// <summary>
/// How a platform request becomes changes to records (contract part 1.5), as plain code that every
/// store calls: lines are summed per record, a restricted decrement is judged on the sums, and an
/// unknown record is either refused, left untracked, or created.
/// </summary>
public static class StockChangePlan
{
    /// <summary>Sums the lines per record, in the order each record first appears.</summary>
    public static IReadOnlyList<Demand> SumPerRecord(StockChange change, TenantSettings settings) =>
        SumPerRecord(change.Lines.Select(line => new Demand(
            new StockKey(change.InstanceId, line.AppId, line.CatalogItemId, line.VariantKey, line.LocationId ?? settings.DefaultLocationId),
            line.CatalogReferenceJson,
            line.Quantity)));

    /// <summary>Lines of the same record become one demand with their summed quantity and the first line's reference.</summary>
    public static IReadOnlyList<Demand> SumPerRecord(IEnumerable<Demand> lines)
    {
        var index = new Dictionary<StockKey, int>();
        var demands = new List<Demand>();
        foreach (var line in lines)
        {
            if (index.TryGetValue(line.Key, out var at))
            {
                demands[at] = demands[at] with { Quantity = demands[at].Quantity + line.Quantity };
                continue;
            }

            index.Add(line.Key, demands.Count);
            demands.Add(line);
        }

        return demands;
    }

    /// <param name="records">The current state of each demand's record (null: no such record), in the order of <paramref name="demands"/>.</param>
    public static ChangeDecision Decide(StockChange change, IReadOnlyList<Demand> demands, IReadOnlyList<StockRecordState?> records, UnknownItemPolicy unknownItems)
    {
        var restricted = change.Operation == StockOperation.Decrement && change.Restrict;
        if (restricted && Refusals(demands, records, unknownItems) is { Count: > 0 } refused)
        {
            return new ChangeDecision.Refuse(refused);
        }

        var steps = new List<RecordStep>(demands.Count);
        for (var i = 0; i < demands.Count; i++)
        {
            var demand = demands[i];
            var delta = change.Operation == StockOperation.Decrement ? -demand.Quantity : demand.Quantity;
            if (records[i] is { } record)
            {
                // The guard is on quantity alone, so units held by allocations raise it.
                steps.Add(new RecordStep.Update(demand, record, delta, restricted && record.TrackQuantity ? StockRules.Floor(record) + record.Allocated : null));
            }
            else if (!restricted)
            {
                // Unrestricted changes are never lost: the record they name is created.
                steps.Add(new RecordStep.Create(demand, delta));
            }

            // A restricted decrement of an unknown record got here only under the Allow policy:
            // the item is untracked, so nothing is created or ledgered.
        }

        return new ChangeDecision.Apply(steps);
    }

    private static List<RefusedItem> Refusals(IReadOnlyList<Demand> demands, IReadOnlyList<StockRecordState?> records, UnknownItemPolicy unknownItems)
    {
        var refused = new List<RefusedItem>();
        for (var i = 0; i < demands.Count; i++)
        {
            var demand = demands[i];
            var verdict = StockRules.JudgeDecrement(records[i], demand.Quantity, unknownItems);
            if (!verdict.Allowed)
            {
                refused.Add(new RefusedItem(demand.CatalogReferenceJson, demand.Key.LocationId, demand.Quantity, verdict.AvailableQuantity, verdict.Cause));
            }
        }

        return refused;
    }
}
