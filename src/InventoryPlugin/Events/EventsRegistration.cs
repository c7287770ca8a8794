namespace InventoryPlugin.Events;

public static class EventsRegistration
{
    public static IServiceCollection AddWebhookDispatch(this IServiceCollection services)
    {
        services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.Section)
            .Validate(o => o.PollMilliseconds is >= 10 and <= 60_000, "Webhooks:PollMilliseconds must be between 10 and 60000.")
            .Validate(o => o.TimeoutSeconds is >= 1 and <= 300, "Webhooks:TimeoutSeconds must be between 1 and 300.")
            .Validate(o => o.FirstRetrySeconds > 0 && o.MaxRetrySeconds >= o.FirstRetrySeconds, "Webhooks:FirstRetrySeconds must be > 0 and at most Webhooks:MaxRetrySeconds.")
            .Validate(o => o.GiveUpAfterSeconds >= 1, "Webhooks:GiveUpAfterSeconds must be at least 1.")
            .Validate(o => o.MaxParallelDeliveries is >= 1 and <= 256, "Webhooks:MaxParallelDeliveries must be between 1 and 256.")
            .Validate(o => o.MaxSubscriptionsPerTenant >= 1, "Webhooks:MaxSubscriptionsPerTenant must be at least 1.")
            .ValidateOnStart();
        services.AddHostedService<WebhookDispatcher>();
        return services;
    }
}
