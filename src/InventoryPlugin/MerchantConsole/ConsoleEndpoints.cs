using InventoryPlugin.Merchant;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace InventoryPlugin.MerchantConsole;

/// <summary>
/// The merchant console at <c>/console/</c>: static files copied beside the binary (no build step),
/// talking only to the merchant API. In Development it can mint a token for the samples' tenant.
/// </summary>
public static class ConsoleEndpoints
{
    public const string Path = "/console";

    /// <summary>The tenant the samples and the walkthrough use: the development token's <c>instance_id</c>.</summary>
    public const string DevelopmentTenant = "5c9b7a2e-3d1f-4c6a-9e8b-7f2a1d0c4b3e";

    private static PhysicalFileProvider Files => new(System.IO.Path.Combine(AppContext.BaseDirectory, "console"));

    public static WebApplication UseMerchantConsole(this WebApplication app)
    {
        var files = Files;
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files, RequestPath = Path });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            RequestPath = Path,
            // Always revalidate: a new version of the console must not run against a cached old script.
            OnPrepareResponse = context => context.Context.Response.Headers.CacheControl = "no-cache",
        });
        return app;
    }

    public static IEndpointRouteBuilder MapMerchantConsole(this IEndpointRouteBuilder routes, IHostEnvironment environment)
    {
        var group = routes.MapGroup(Path).WithTags("Console").AllowAnonymous().ExcludeFromDescription();
        group.MapGet("", (HttpContext http) => Results.Redirect(http.Request.PathBase + Path + "/"));
        group.MapGet("/config.json", (IOptions<MerchantAuthOptions> options) =>
        {
            var auth = options.Value;
            var signIn = !string.IsNullOrWhiteSpace(auth.Authority) && !string.IsNullOrWhiteSpace(auth.ConsoleClientId);
            return Results.Ok(new
            {
                development = environment.IsDevelopment(),
                authority = signIn ? auth.Authority : null,
                clientId = signIn ? auth.ConsoleClientId : null,
                scope = signIn ? auth.ConsoleScope : null,
                audience = signIn ? auth.Audience : null,
            });
        });
        if (environment.IsDevelopment())
        {
            group.MapPost("/dev-token", (IOptions<MerchantAuthOptions> options) => Results.Ok(new { token = DevelopmentToken(options.Value) }));
        }

        return routes;
    }

    /// <summary>A read-and-write token for <see cref="DevelopmentTenant"/>, signed with the development key.</summary>
    private static string DevelopmentToken(MerchantAuthOptions options) =>
        new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = string.IsNullOrEmpty(options.Issuer) ? null : options.Issuer,
            Audience = options.Audience,
            Expires = DateTime.UtcNow.AddHours(8),
            Claims = new Dictionary<string, object>
            {
                ["instance_id"] = DevelopmentTenant,
                ["scope"] = $"{MerchantScopes.Read} {MerchantScopes.Write}",
                ["sub"] = "console-development",
            },
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Convert.FromBase64String(options.SigningKey)), SecurityAlgorithms.HmacSha256),
        });
}
