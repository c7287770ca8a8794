using Microsoft.Extensions.Options;

namespace InventoryPlugin.Storage;

public sealed class AllocationOptions
{
    public const string Section = "Allocations";

    /// <summary>
    /// How often expired allocations are closed and ledgered (EXPIRE). Readers never wait for it: an open
    /// allocation stops counting at its expiry whether or not it has been swept.
    /// </summary>
    public int SweepSeconds { get; set; } = 5;
}

/// <summary>Closes allocations past their expiry, in batches, through the store like any other write.</summary>
public sealed partial class AllocationSweeper(IStockStore store, IOptions<AllocationOptions> options, TimeProvider clock, Hosting.InventoryMetrics metrics, ILogger<AllocationSweeper> logger)
    : BackgroundService
{
    private const int BatchSize = 500;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Max(1, options.Value.SweepSeconds)), clock);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                int expired;
                do
                {
                    expired = await store.ExpireAllocationsAsync(BatchSize, stoppingToken).ConfigureAwait(false);
                    if (expired > 0)
                    {
                        metrics.AllocationsExpired.Inc(expired);
                        LogExpired(expired);
                    }
                }
                while (expired == BatchSize);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                LogSweepFailed(exception);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Expired {Count} allocations")]
    private partial void LogExpired(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Expiring allocations failed; will try again")]
    private partial void LogSweepFailed(Exception exception);
}
