using InventoryPlugin.Stock;
using InventoryPlugin.Storage;

namespace InventoryPlugin.Merchant;

/// <summary>
/// How a batch of record upserts (bulk upsert, CSV import) treats its bad rows: <c>ALL_OR_NOTHING</c>
/// (the default) applies nothing if any row is bad; <c>APPLY_VALID</c> applies the good rows and
/// reports the rest. Either way the applied rows commit in one transaction.
/// </summary>
public static class BulkPolicy
{
    public const string AllOrNothing = "ALL_OR_NOTHING";
    public const string ApplyValid = "APPLY_VALID";

    /// <param name="Index">The row's position: its array index, or its line number in a CSV file.</param>
    public sealed record Row(int Index, NewStockRecord? Record, ValidationErrors Errors);

    public static bool Parse(string? value, string field, ValidationErrors errors)
    {
        if (value is null || string.Equals(value, AllOrNothing, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (string.Equals(value, ApplyValid, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        errors.Add(field, $"must be {AllOrNothing} or {ApplyValid}");
        return true;
    }

    public static async Task<IResult> ApplyAsync(IReadOnlyList<Row> rows, bool allOrNothing, IStockStore store, Tenant tenant, CancellationToken cancellationToken)
    {
        RejectRepeatedKeys(rows);
        var valid = rows.Where(r => !r.Errors.Any).ToList();
        var invalid = rows.Count - valid.Count;
        if (invalid > 0 && allOrNothing)
        {
            var rejected = new BulkUpsertResponse(false, rows.Select(r => r.Errors.Any
                ? new BulkRowResult(r.Index, "invalid", null, r.Errors.ToDictionary())
                : new BulkRowResult(r.Index, "skipped", null, null)).ToList());
            return MerchantProblems.Problem(StatusCodes.Status400BadRequest, "VALIDATION_FAILED",
                $"{invalid} row(s) are not valid; nothing was applied.", extra: new Dictionary<string, object?> { ["results"] = rejected.Results });
        }

        var outcomes = valid.Count == 0
            ? []
            : await store.UpsertAsync(valid.Select(r => r.Record!).ToList(), tenant.Actor, cancellationToken).ConfigureAwait(false);
        var byIndex = valid.Zip(outcomes).ToDictionary(p => p.First.Index, p => p.Second);
        var results = rows.Select(r => byIndex.TryGetValue(r.Index, out var outcome)
            ? Describe(r.Index, outcome)
            : new BulkRowResult(r.Index, "invalid", null, r.Errors.ToDictionary())).ToList();
        return TypedResults.Ok(new BulkUpsertResponse(true, results));
    }

    /// <summary>Two rows for the same record in one batch would make the result depend on their order.</summary>
    private static void RejectRepeatedKeys(IReadOnlyList<Row> rows)
    {
        var first = new Dictionary<StockKey, int>();
        foreach (var row in rows.Where(r => r.Record is not null))
        {
            if (!first.TryAdd(row.Record!.Key, row.Index))
            {
                row.Errors.Add("catalogReference", $"names the same record as row {first[row.Record.Key]}");
            }
        }
    }

    private static BulkRowResult Describe(int index, RecordOutcome outcome) => outcome switch
    {
        RecordOutcome.Created created => new(index, "created", created.Record.Id, null),
        RecordOutcome.Updated updated => new(index, "updated", updated.Record.Id, null),
        RecordOutcome.Unchanged unchanged => new(index, "unchanged", unchanged.Record.Id, null),
        _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "An upsert only creates, updates or leaves unchanged."),
    };
}
