using InventoryPlugin.Storage;

namespace InventoryPlugin.Hosting;

public static class OperationsEndpoints
{
    public static IEndpointRouteBuilder MapOperationsEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/healthz", () => Results.Ok(new { status = "alive" }))
            .WithTags("Operations").WithSummary("The process is alive.").AllowAnonymous();
        routes.MapGet("/readyz", (StoreWriter writer, SqliteConnectionFactory connections) =>
            {
                if (!writer.IsReady)
                {
                    return Results.Json(new { status = "starting" }, statusCode: StatusCodes.Status503ServiceUnavailable);
                }

                using var connection = connections.OpenRead();
                var version = Migrator.AppliedVersion(connection);
                return version == Migrator.LatestVersion
                    ? Results.Ok(new { status = "ready", schemaVersion = version })
                    : Results.Json(new { status = "not migrated", schemaVersion = version }, statusCode: StatusCodes.Status503ServiceUnavailable);
            })
            .WithTags("Operations").WithSummary("The store is open and migrated.").AllowAnonymous();
        return routes;
    }
}
