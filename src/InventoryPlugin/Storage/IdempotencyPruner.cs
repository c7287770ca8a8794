using Microsoft.Extensions.Options;

namespace InventoryPlugin.Storage;

/// <summary>Deletes stored answers past their retention, hourly, through the store like any other write.</summary>
public sealed partial class IdempotencyPruner(IStockStore store, IOptions<IdempotencyOptions> options, TimeProvider clock, ILogger<IdempotencyPruner> logger)
    : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    public Task<int> PruneAsync(CancellationToken cancellationToken) =>
        store.PruneIdempotencyAsync(clock.GetUtcNow().AddDays(-options.Value.RetentionDays).ToUnixTimeMilliseconds(), cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, clock);
        do
        {
            try
            {
                var pruned = await PruneAsync(stoppingToken).ConfigureAwait(false);
                LogPruned(pruned, options.Value.RetentionDays);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                LogPruneFailed(exception);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Pruned {Count} idempotency records older than {RetentionDays} days")]
    private partial void LogPruned(int count, int retentionDays);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pruning idempotency records failed; will try again")]
    private partial void LogPruneFailed(Exception exception);
}
