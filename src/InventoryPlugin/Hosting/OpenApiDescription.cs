using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace InventoryPlugin.Hosting;

/// <summary>Says in the document what the endpoints' metadata cannot: how each surface authenticates.</summary>
public sealed class OpenApiDescription : IOpenApiDocumentTransformer
{
    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info.Title = "InventoryPlugin";
        document.Info.Description =
            "Platform endpoints (/v1/decrement, /v1/increment): the body is one compact RS256 JWT signed by the platform, " +
            "whose `data` claim holds `{request, metadata}`; answers are `{}` or `{\"applicationError\":{...}}`. " +
            "Merchant API (/api/v1): a bearer JWT with an `instance_id` claim and the scope `inventory:read` or `inventory:write`; " +
            "errors are RFC 7807 problem details with a `code`.";
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes["bearer"] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "JWT",
            Description = "Merchant token: instance_id claim, scope inventory:read / inventory:write.",
        };
        return Task.CompletedTask;
    }
}
