using System.Text.Json;
using InventoryPlugin.Platform;
using InventoryPlugin.Stock;
using InventoryPlugin.Storage;

namespace InventoryPlugin.Merchant;

/// <summary>Allocations (holds): reserve stock while a customer pays, then commit, release, or let it expire.</summary>
public static class AllocationEndpoints
{
    public const int MaxIdempotencyKeyLength = 100;

    /// <summary>How a held line's catalog reference is kept and echoed: as sent, without the members left out.</summary>
    private static readonly JsonSerializerOptions ReferenceJson = new(JsonSerializerOptions.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    public static void MapAllocationEndpoints(this MerchantRoutes routes)
    {
        var read = routes.Read.MapGroup("/allocations").WithTags("Allocations");
        var write = routes.Write.MapGroup("/allocations").WithTags("Allocations");
        write.MapPost("/", CreateAsync)
            .WithSummary("Hold every item or none, for ttlSeconds (default 900, at most 86400); 409 ALLOCATION_NOT_POSSIBLE with a cause per item.");
        read.MapGet("/{id}", GetAsync).WithSummary("One allocation; an open one past its expiry shows as EXPIRED.");
        write.MapPost("/{id}/commit", CommitAsync).WithSummary("Turn the hold into a decrement; a second call replays the first. 409 once expired or released.");
        write.MapDelete("/{id}", ReleaseAsync).WithSummary("Release the hold; a second call replays the first. 409 once committed.");
    }

    private static async Task<IResult> CreateAsync(AllocationCreateRequest? body, Tenant tenant, IStockStore store, IStockReader reader, TimeProvider clock, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        var items = body?.Items;
        if (items is null || items.Count is < 1 or > EnvelopeParser.MaxItems)
        {
            errors.Add("items", $"must hold between 1 and {EnvelopeParser.MaxItems} items");
            return MerchantProblems.Validation(errors);
        }

        var ttl = body!.TtlSeconds ?? AllocationRules.DefaultTtlSeconds;
        if (ttl is < 1 or > AllocationRules.MaxTtlSeconds)
        {
            errors.Add("ttlSeconds", $"must be between 1 and {AllocationRules.MaxTtlSeconds}");
        }

        string? orderId = null;
        if (body.OrderId is not null)
        {
            orderId = Guid.TryParse(body.OrderId, out var order) ? order.ToString("D") : null;
            if (orderId is null)
            {
                errors.Add("orderId", "must be a GUID");
            }
        }

        if (body.IdempotencyKey is { Length: 0 or > MaxIdempotencyKeyLength })
        {
            errors.Add("idempotencyKey", $"must be between 1 and {MaxIdempotencyKeyLength} characters long");
        }

        var settings = await reader.LoadSettingsAsync(tenant.InstanceId, cancellationToken).ConfigureAwait(false);
        var lines = new List<Demand>(items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            var path = $"items[{i}]";
            if (items[i] is not { } item)
            {
                errors.Add(path, "is required");
                continue;
            }

            if (item.Quantity is not (>= 1 and <= EnvelopeParser.MaxQuantity))
            {
                errors.Add($"{path}.quantity", $"is required and must be between 1 and {EnvelopeParser.MaxQuantity}");
            }

            if (ItemInputs.Key(tenant.InstanceId, item.CatalogReference, item.LocationId, settings, path, errors) is { } key && item.Quantity is { } quantity)
            {
                lines.Add(new Demand(key, JsonSerializer.Serialize(item.CatalogReference, ReferenceJson), quantity));
            }
        }

        if (errors.Any)
        {
            return MerchantProblems.Validation(errors);
        }

        var request = new AllocationRequest(tenant.InstanceId, lines, ttl, orderId, body.IdempotencyKey, tenant.Actor);
        return ToResult(await store.AllocateAsync(request, cancellationToken).ConfigureAwait(false), clock);
    }

    private static async Task<IResult> GetAsync(string id, Tenant tenant, IStockReader reader, TimeProvider clock, CancellationToken cancellationToken) =>
        await reader.GetAllocationAsync(tenant.InstanceId, Ids.Canonical(id), cancellationToken).ConfigureAwait(false) is { } allocation
            ? TypedResults.Ok(AllocationView.From(allocation, clock.GetUtcNow().ToUnixTimeMilliseconds()))
            : MerchantProblems.NotFound("The allocation");

    private static async Task<IResult> CommitAsync(string id, Tenant tenant, IStockStore store, TimeProvider clock, CancellationToken cancellationToken) =>
        ToResult(await store.CommitAllocationAsync(tenant.InstanceId, Ids.Canonical(id), tenant.Actor, cancellationToken).ConfigureAwait(false), clock);

    private static async Task<IResult> ReleaseAsync(string id, Tenant tenant, IStockStore store, TimeProvider clock, CancellationToken cancellationToken) =>
        ToResult(await store.ReleaseAllocationAsync(tenant.InstanceId, Ids.Canonical(id), tenant.Actor, cancellationToken).ConfigureAwait(false), clock);

    /// <summary>The single mapping of allocation outcomes to the wire.</summary>
    private static IResult ToResult(AllocationOutcome outcome, TimeProvider clock)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        return outcome switch
        {
            AllocationOutcome.Created { Replayed: false } created =>
                TypedResults.Created($"allocations/{created.Allocation.Id}", AllocationView.From(created.Allocation, now)),
            AllocationOutcome.Created created => TypedResults.Ok(AllocationView.From(created.Allocation, now)),
            AllocationOutcome.Closed closed => TypedResults.Ok(AllocationView.From(closed.Allocation, now)),
            AllocationOutcome.Refused refused => MerchantProblems.Problem(
                StatusCodes.Status409Conflict, "ALLOCATION_NOT_POSSIBLE", "Not every item can be held; nothing was.",
                extra: new Dictionary<string, object?>
                {
                    ["items"] = refused.Items.Select(i => new
                    {
                        catalogReference = JsonDocument.Parse(i.CatalogReferenceJson).RootElement.Clone(),
                        locationId = i.LocationId,
                        requestedQuantity = i.RequestedQuantity,
                        availableQuantity = i.AvailableQuantity,
                        cause = PlatformResponses.CauseName(i.Cause),
                    }).ToList(),
                }),
            AllocationOutcome.Conflict conflict => MerchantProblems.Problem(
                StatusCodes.Status409Conflict, "ALLOCATION_" + Allocation.StatusName(conflict.Allocation.Status),
                $"The allocation is {Allocation.StatusName(conflict.Allocation.Status).ToLowerInvariant()}.",
                extra: new Dictionary<string, object?> { ["allocationStatus"] = Allocation.StatusName(conflict.Allocation.Status) }),
            AllocationOutcome.NotFound => MerchantProblems.NotFound("The allocation"),
            _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, null),
        };
    }

}
