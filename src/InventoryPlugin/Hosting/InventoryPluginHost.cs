using System.Text.RegularExpressions;
using InventoryPlugin.Events;
using InventoryPlugin.Merchant;
using InventoryPlugin.MerchantConsole;
using InventoryPlugin.Platform;
using InventoryPlugin.Storage;
using Prometheus;

namespace InventoryPlugin.Hosting;

/// <summary>Wires the service: what Program.cs and the tests' hosts both call.</summary>
public static partial class InventoryPluginHost
{
    public static WebApplicationBuilder AddInventoryPlugin(this WebApplicationBuilder builder)
    {
        builder.AddInventoryPluginLogging();
        var http = builder.Configuration.GetSection(HttpOptions.Section).Get<HttpOptions>() ?? new HttpOptions();
        // --urls and ASPNETCORE_URLS (the host's own "urls" setting) win, as in any ASP.NET Core app;
        // Http:Urls is this service's default.
        if (!string.IsNullOrWhiteSpace(http.Urls) && string.IsNullOrWhiteSpace(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
        {
            builder.WebHost.UseUrls(http.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }

        UseDevelopmentKeysIfUnconfigured(builder);
        UseDevelopmentMerchantKeyIfUnconfigured(builder);
        builder.AddMerchantAuthentication();

        var services = builder.Services;
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<InventoryMetrics>();
        services.AddOptions<HttpOptions>().BindConfiguration(HttpOptions.Section);
        services.AddOptions<WixOptions>().BindConfiguration(WixOptions.Section)
            .Validate(o => !string.IsNullOrWhiteSpace(o.AppId), "Wix:AppId is required: it is the only audience accepted.")
            .Validate(o => !string.IsNullOrWhiteSpace(o.PublicKey) || o.AdditionalPublicKeys.Count > 0, "Wix:PublicKey is required.")
            .Validate(o => o.ClockSkewSeconds is >= 0 and <= 600, "Wix:ClockSkewSeconds must be between 0 and 600.")
            .ValidateOnStart();
        services.AddStockStorage(builder.Configuration);
        services.AddWebhookDispatch();

        services.AddSingleton<PlatformTokenVerifier>();
        services.AddSingleton<PlatformVerificationFilter>();
        services.AddProblemDetails(o => o.CustomizeProblemDetails = MerchantProblems.AddDefaultCode);
        services.AddExceptionHandler<BadRequestExceptionHandler>();
        services.AddExceptionHandler<StoreUnavailableExceptionHandler>();
        // Unreadable bodies become exceptions, so BadRequestExceptionHandler can name the field at fault.
        services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddOpenApi(o => o.AddDocumentTransformer<OpenApiDescription>());
        return builder;
    }

    public static WebApplication UseInventoryPlugin(this WebApplication app)
    {
        // Configuration is checked now, before the host starts: a mistake stops the start as one line
        // (Program.cs) rather than a failed start with a stack trace, and a platform key that cannot be
        // used is found here rather than by every request.
        app.Services.GetService<Microsoft.Extensions.Options.IStartupValidator>()?.Validate();
        _ = app.Services.GetRequiredService<PlatformTokenVerifier>();
        foreach (var preparation in app.Services.GetServices<IStorePreparation>())
        {
            // Before the host starts, on the thread that would otherwise wait for it: there is nothing to serve yet.
            preparation.PrepareAsync(CancellationToken.None).GetAwaiter().GetResult();
        }

        var http = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<HttpOptions>>().Value;

        // The platform appends "/v1/..." to the registered base, so a base ending in "/" arrives as "//v1/...".
        app.Use((context, next) =>
        {
            if (context.Request.Path.Value is { } path && path.Contains("//", StringComparison.Ordinal))
            {
                context.Request.Path = new PathString(RepeatedSlashes().Replace(path, "/"));
            }

            return next(context);
        });
        if (!string.IsNullOrWhiteSpace(http.PathBase))
        {
            app.UsePathBase("/" + http.PathBase.Trim('/'));
        }

        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseMerchantConsole();
        app.UseRouting();
        var metrics = app.Services.GetRequiredService<InventoryMetrics>();
        app.UseHttpMetrics(o => o.SetMetricFactory(Metrics.WithCustomRegistry(metrics.Registry)));
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapOpenApi();
        app.MapOperationsEndpoints();
        app.MapMetrics("/metrics", metrics.Registry).AllowAnonymous();
        app.MapPlatformEndpoints();
        app.MapMerchantEndpoints();
        app.MapMerchantConsole(app.Environment);
        return app;
    }

    private static void UseDevelopmentKeysIfUnconfigured(WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        if (!builder.Environment.IsDevelopment() || !string.IsNullOrWhiteSpace(configuration[$"{WixOptions.Section}:{nameof(WixOptions.PublicKey)}"]))
        {
            return;
        }

        var (publicKey, folder, created) = DevelopmentKeys.LoadOrCreate(builder.Environment.ContentRootPath);
        configuration[$"{WixOptions.Section}:{nameof(WixOptions.PublicKey)}"] = publicKey;
        if (string.IsNullOrWhiteSpace(configuration[$"{WixOptions.Section}:{nameof(WixOptions.AppId)}"]))
        {
            configuration[$"{WixOptions.Section}:{nameof(WixOptions.AppId)}"] = DevelopmentKeys.AppId;
        }

        // Logging is not built yet; this is the one start-up message that must reach the developer.
        Console.WriteLine(created
            ? $"Development: made a platform key pair in {folder} (Wix:PublicKey was not set). Sign sample requests with its private key."
            : $"Development: using the platform key pair in {folder} (Wix:PublicKey is not set).");
    }

    private static void UseDevelopmentMerchantKeyIfUnconfigured(WebApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(MerchantAuthOptions.Section);
        if (!builder.Environment.IsDevelopment()
            || !string.IsNullOrWhiteSpace(section[nameof(MerchantAuthOptions.SigningKey)])
            || !string.IsNullOrWhiteSpace(section[nameof(MerchantAuthOptions.Authority)]))
        {
            return;
        }

        var (signingKey, path) = DevelopmentKeys.LoadOrCreateMerchantSigningKey(builder.Environment.ContentRootPath);
        section[nameof(MerchantAuthOptions.SigningKey)] = signingKey;
        if (string.IsNullOrWhiteSpace(section[nameof(MerchantAuthOptions.Issuer)]))
        {
            section[nameof(MerchantAuthOptions.Issuer)] = DevelopmentKeys.MerchantIssuer;
        }

        Console.WriteLine($"Development: merchant tokens are HS256-signed with the key in {path} (MerchantAuth:SigningKey was not set).");
    }

    [GeneratedRegex("/{2,}")]
    private static partial Regex RepeatedSlashes();
}
