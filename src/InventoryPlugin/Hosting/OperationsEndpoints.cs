using InventoryPlugin.Storage;

namespace InventoryPlugin.Hosting;

public static class OperationsEndpoints
{
    public static IEndpointRouteBuilder MapOperationsEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/healthz", () => Results.Ok(new { status = "alive" }))
            .WithTags("Operations").WithSummary("The process is alive.").AllowAnonymous();
        routes.MapGet("/readyz", async (IStoreStatus store, CancellationToken cancellationToken) =>
                await store.CheckAsync(cancellationToken).ConfigureAwait(false) is var readiness && readiness.Ready
                    ? Results.Ok(new { status = readiness.Status, schemaVersion = readiness.SchemaVersion })
                    : Results.Json(new { status = readiness.Status, schemaVersion = readiness.SchemaVersion }, statusCode: StatusCodes.Status503ServiceUnavailable))
            .WithTags("Operations").WithSummary("The store is open and migrated.").AllowAnonymous();
        return routes;
    }
}
