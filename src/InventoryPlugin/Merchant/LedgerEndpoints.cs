using InventoryPlugin.Stock;
using InventoryPlugin.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace InventoryPlugin.Merchant;

/// <summary>The ledger, filtered and paged, and the per-order view of it.</summary>
public static class LedgerEndpoints
{
    public const int MaxEntriesPerOrder = 10_000;

    public static void MapLedgerEndpoints(this MerchantRoutes routes)
    {
        routes.Read.MapGet("/ledger", PageAsync).WithTags("Ledger").WithSummary("Ledger entries by item, order, request and time range; cursor paging.");
        routes.Read.MapGet("/ledger/verify", VerifyAsync).WithTags("Ledger")
            .WithSummary("Recomputes every record's quantity from the ledger and reports any drift.");
        routes.Read.MapGet("/orders/{orderId}", OrderAsync).WithTags("Ledger").WithSummary("One order's ledger entries and the net change per record.");
    }

    private static async Task<IResult> PageAsync(Tenant tenant, IStockReader reader,
        string? itemId, string? orderId, string? requestId, DateTimeOffset? from, DateTimeOffset? to, string? cursor, int? limit, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        var pageSize = limit ?? InventoryItemsEndpoints.DefaultPageSize;
        if (pageSize is < 1 or > InventoryItemsEndpoints.MaxPageSize)
        {
            errors.Add("limit", $"must be between 1 and {InventoryItemsEndpoints.MaxPageSize}");
        }

        long afterSeq = 0;
        if (!Cursor.TryDecode(cursor, out var position) || (position is not null && !long.TryParse(position, out afterSeq)))
        {
            errors.Add("cursor", "is not a cursor this API returned");
        }

        if (errors.Any)
        {
            return MerchantProblems.Validation(errors);
        }

        var filter = new LedgerFilter(Ids.Canonical(itemId), Ids.Canonical(orderId), requestId, from?.ToUnixTimeMilliseconds(), to?.ToUnixTimeMilliseconds());
        var entries = await reader.LedgerPageAsync(tenant.InstanceId, filter, afterSeq, pageSize, cancellationToken).ConfigureAwait(false);
        var next = entries.Count == pageSize ? Cursor.Encode(entries[^1].Seq.ToString(System.Globalization.CultureInfo.InvariantCulture)) : null;
        return TypedResults.Ok(new LedgerPage(entries.Select(View).ToList(), next));
    }

    private static async Task<Ok<LedgerVerificationView>> VerifyAsync(Tenant tenant, IStockReader reader, CancellationToken cancellationToken)
    {
        var report = await reader.VerifyLedgerAsync(tenant.InstanceId, cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(new LedgerVerificationView(
            report.Consistent, report.Records, report.Entries,
            report.Drifts.Select(d => new DriftView(d.RecordId, d.Quantity, d.LedgerSum, d.Drift, d.Entries, d.Held, d.AllocatedLedgerSum)).ToList(),
            report.BrokenEntries.Select(b => new BrokenEntryView(b.Seq, b.RecordId, b.QuantityAfter, b.RunningSum)).ToList()));
    }

    private static async Task<IResult> OrderAsync(string orderId, Tenant tenant, IStockReader reader, CancellationToken cancellationToken)
    {
        var entries = await reader.LedgerPageAsync(tenant.InstanceId, new LedgerFilter(OrderId: Ids.Canonical(orderId)), 0, MaxEntriesPerOrder, cancellationToken).ConfigureAwait(false);
        if (entries.Count == 0)
        {
            return MerchantProblems.NotFound("The order");
        }

        var net = entries.GroupBy(e => e.RecordId).Select(g => new NetChange(g.Key, g.Sum(e => e.Delta))).ToList();
        return TypedResults.Ok(new OrderView(entries[0].OrderId!, entries.Select(View).ToList(), net));
    }

    internal static LedgerEntryView View(LedgerEntry entry) => new(
        entry.Seq, entry.RecordId, entry.Delta, entry.QuantityAfter, LedgerEntry.OperationName(entry.Operation), entry.Reason, entry.OrderId, entry.RequestId,
        entry.ActorType, entry.ActorId, entry.RestrictFlag, DateTimeOffset.FromUnixTimeMilliseconds(entry.CreatedAt));

}
