using Microsoft.AspNetCore.Http.Features;
using InventoryPlugin.Stock;
using InventoryPlugin.Storage;

namespace InventoryPlugin.Platform;

/// <summary>Decrement and Increment Availability, called by the commerce platform (contract part 1).</summary>
public static class PlatformEndpoints
{
    public static RouteGroupBuilder MapPlatformEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1")
            .AddEndpointFilter<PlatformVerificationFilter>()
            .WithTags("Platform")
            .AllowAnonymous();

        Map(group, "/decrement", StockOperation.Decrement, "Decrement Availability");
        Map(group, "/increment", StockOperation.Increment, "Increment Availability");
        return group;
    }

    private static void Map(RouteGroupBuilder group, string path, StockOperation operation, string summary) =>
        group.MapPost(path, ApplyAsync)
            .WithMetadata(new PlatformOperationMetadata(operation))
            .WithName(operation.ToString())
            .WithSummary(summary)
            .WithDescription("The body is one compact RS256 JWT whose `data` claim holds `{request, metadata}`.")
            .Produces(StatusCodes.Status200OK, contentType: "application/json")
            .Produces(StatusCodes.Status400BadRequest, contentType: "application/json")
            .Produces(StatusCodes.Status401Unauthorized, contentType: "application/json")
            .Produces(StatusCodes.Status409Conflict, contentType: "application/json")
            .Produces(StatusCodes.Status413PayloadTooLarge, contentType: "application/json")
            .Produces(StatusCodes.Status428PreconditionRequired, contentType: "application/json")
            .Produces(StatusCodes.Status503ServiceUnavailable, contentType: "application/json");

    private static async Task<IResult> ApplyAsync(HttpContext http, IStockStore store)
    {
        var call = http.Features.GetRequiredFeature<PlatformCall>();
        ChangeOutcome outcome;
        try
        {
            outcome = await store.ApplyAsync(call.Change!, PlatformResponses.Render, http.RequestAborted).ConfigureAwait(false);
        }
        catch (StoreUnavailableException)
        {
            // Nothing was applied; the platform may retry the same request safely.
            call.Outcome = PlatformOutcome.Unavailable;
            return PlatformResponses.Unavailable();
        }

        call.Outcome = outcome switch
        {
            ChangeOutcome.Applied => PlatformOutcome.Applied,
            ChangeOutcome.Refused => PlatformOutcome.Refused,
            ChangeOutcome.Replayed => PlatformOutcome.Replayed,
            ChangeOutcome.RequestIdReused => PlatformOutcome.RequestIdReused,
            _ => throw new InvalidOperationException($"Unknown outcome {outcome}."),
        };
        return PlatformResponses.ToResult(outcome);
    }
}
