using InventoryPlugin.Hosting;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Mvc;
using Microsoft.IdentityModel.Tokens;

namespace InventoryPlugin.Merchant;

/// <summary>
/// Bearer tokens for the merchant API through the JwtBearer middleware: a static HS256 key, or an
/// OIDC authority whose discovery document and JWKS are fetched, cached and refreshed on an unknown key.
/// </summary>
public static class MerchantAuthentication
{
    public const string ReadPolicy = MerchantScopes.Read;
    public const string WritePolicy = MerchantScopes.Write;

    public static WebApplicationBuilder AddMerchantAuthentication(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(MerchantAuthOptions.Section).Get<MerchantAuthOptions>() ?? new MerchantAuthOptions();
        if (string.IsNullOrWhiteSpace(options.Authority) && string.IsNullOrWhiteSpace(options.SigningKey))
        {
            throw new ConfigurationException("MerchantAuth:Authority or MerchantAuth:SigningKey is required for the merchant API.");
        }

        if (string.IsNullOrWhiteSpace(options.Audience))
        {
            throw new ConfigurationException("MerchantAuth:Audience is required for the merchant API.");
        }

        builder.Services.AddOptions<MerchantAuthOptions>().BindConfiguration(MerchantAuthOptions.Section);
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(jwt =>
        {
            // Keep claim names as issued: "scope", "sub", "instance_id".
            jwt.MapInboundClaims = false;
            jwt.TokenValidationParameters.ValidAudience = options.Audience;
            jwt.TokenValidationParameters.NameClaimType = "sub";
            if (!string.IsNullOrWhiteSpace(options.Issuer))
            {
                jwt.TokenValidationParameters.ValidIssuer = options.Issuer;
            }

            if (!string.IsNullOrWhiteSpace(options.Authority))
            {
                jwt.Authority = options.Authority;
                jwt.RequireHttpsMetadata = options.RequireHttpsMetadata;
                jwt.RefreshOnIssuerKeyNotFound = true;
                jwt.RefreshInterval = TimeSpan.FromSeconds(Math.Max(1, options.KeyRefreshSeconds));
            }
            else
            {
                jwt.TokenValidationParameters.IssuerSigningKey = new SymmetricSecurityKey(Convert.FromBase64String(options.SigningKey));
                jwt.TokenValidationParameters.ValidAlgorithms = [SecurityAlgorithms.HmacSha256];
                jwt.TokenValidationParameters.ValidateIssuer = !string.IsNullOrWhiteSpace(options.Issuer);
            }

            jwt.Events = new JwtBearerEvents
            {
                OnChallenge = async context =>
                {
                    context.HandleResponse();
                    context.Response.Headers.WWWAuthenticate = "Bearer";
                    await WriteProblemAsync(context.HttpContext, StatusCodes.Status401Unauthorized, "UNAUTHENTICATED",
                        "A valid bearer token is required.").ConfigureAwait(false);
                },
                OnForbidden = context => WriteProblemAsync(context.HttpContext, StatusCodes.Status403Forbidden, "FORBIDDEN",
                    "The token lacks the scope this route needs, or names no tenant (instance_id)."),
            };
        });

        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(ReadPolicy, policy => policy.RequireAuthenticatedUser().RequireAssertion(c => Allows(c.User, MerchantScopes.Read)))
            .AddPolicy(WritePolicy, policy => policy.RequireAuthenticatedUser().RequireAssertion(c => Allows(c.User, MerchantScopes.Write)));
        WithoutDataProtectionKeyRing(builder.Services);
        return builder;
    }

    /// <summary>
    /// AddAuthentication registers Data Protection, whose hosted service makes a key ring at every start:
    /// a key file under the user's home and a warning that it is unencrypted, on every fresh container.
    /// Bearer tokens never protect data, so that service is removed; nothing here resolves a protector.
    /// </summary>
    private static void WithoutDataProtectionKeyRing(IServiceCollection services)
    {
        var keyRingWarmUp = services.Where(d => d.ServiceType == typeof(IHostedService)
            && d.ImplementationType?.Namespace?.StartsWith("Microsoft.AspNetCore.DataProtection", StringComparison.Ordinal) == true).ToList();
        foreach (var descriptor in keyRingWarmUp)
        {
            services.Remove(descriptor);
        }
    }

    private static bool Allows(System.Security.Claims.ClaimsPrincipal user, string scope) =>
        MerchantScopes.Tenant(user) is not null && MerchantScopes.HasScope(user, scope);

    private static Task WriteProblemAsync(HttpContext context, int status, string code, string title)
    {
        context.Response.StatusCode = status;
        var problem = new ProblemDetails { Status = status, Title = title };
        problem.Extensions["code"] = code;
        return context.RequestServices.GetRequiredService<IProblemDetailsService>()
            .WriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem }).AsTask();
    }
}
