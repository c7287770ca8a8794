using InventoryPlugin.Hosting;
using InventoryPlugin.Storage.Postgres;
using InventoryPlugin.Storage.Sqlite;
using Microsoft.Extensions.Options;

namespace InventoryPlugin.Storage;

/// <summary>Chooses the store named by <c>Storage:Provider</c>; the rest of the service sees only the interfaces.</summary>
public static class StorageRegistration
{
    public static IServiceCollection AddStockStorage(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.Section)
            .Validate(o => o.ParsedProvider is not null, "Storage:Provider must be Sqlite or Postgres.")
            .Validate(o => !string.IsNullOrWhiteSpace(o.ConnectionString), "Storage:ConnectionString is required.")
            .Validate(o => o.MaxBatchSize is >= 1 and <= 4096, "Storage:MaxBatchSize must be between 1 and 4096.")
            .ValidateOnStart();
        services.AddOptions<IdempotencyOptions>().BindConfiguration(IdempotencyOptions.Section)
            .Validate(o => o.RetentionDays >= 1, "Idempotency:RetentionDays must be at least 1.")
            .ValidateOnStart();

        var options = configuration.GetSection(StorageOptions.Section).Get<StorageOptions>() ?? new StorageOptions();
        switch (options.ParsedProvider)
        {
            case StorageProvider.Postgres:
                services.AddSingleton<PostgresDatabase>();
                services.AddSingleton<PostgresMigrator>();
                services.AddSingleton<IStorePreparation>(sp => sp.GetRequiredService<PostgresMigrator>());
                services.AddSingleton<IStockStore, PostgresStockStore>();
                services.AddSingleton<IStockReader, PostgresStockReader>();
                services.AddSingleton<IStoreStatus, PostgresStoreStatus>();
                services.AddSingleton<IStoreSessions, PostgresSessions>();
                break;
            default:
                // Also when the name is wrong: validation then stops the start with its message.
                services.AddSingleton<SqliteConnectionFactory>();
                services.AddSingleton<StoreWriter>();
                services.AddHostedService(sp => sp.GetRequiredService<StoreWriter>());
                services.AddSingleton<IStockStore, SqliteStockStore>();
                services.AddSingleton<IStockReader, SqliteStockReader>();
                services.AddSingleton<IStoreStatus, SqliteStoreStatus>();
                services.AddSingleton<IStoreSessions, SqliteSessions>();
                break;
        }

        services.AddSingleton<IdempotencyPruner>();
        services.AddHostedService(sp => sp.GetRequiredService<IdempotencyPruner>());
        services.AddOptions<AllocationOptions>().BindConfiguration(AllocationOptions.Section)
            .Validate(o => o.SweepSeconds is >= 1 and <= 3600, "Allocations:SweepSeconds must be between 1 and 3600.")
            .ValidateOnStart();
        services.AddHostedService<AllocationSweeper>();
        services.AddSingleton<IStockEventStore, StockEventStore>();
        return services;
    }

    /// <summary>
    /// A reader on the configured store for one-shot commands (no service started, nothing migrated):
    /// the reader, where it reads, or why there is nothing to read.
    /// </summary>
    public static async Task<(IStockReader? Reader, string Where, string? Problem, IAsyncDisposable Lifetime)> OpenForCommandAsync(
        StorageOptions options, IHostEnvironment environment, CancellationToken cancellationToken)
    {
        if (options.ParsedProvider is not { } provider)
        {
            return (null, $"Storage:Provider '{options.Provider}'", "Storage:Provider must be Sqlite or Postgres.", NoLifetime.Instance);
        }

        if (provider == StorageProvider.Sqlite)
        {
            var connections = new SqliteConnectionFactory(Options.Create(options), environment);
            if (!File.Exists(connections.DatabasePath))
            {
                return (null, connections.DatabasePath, $"No database at {connections.DatabasePath} (Storage:ConnectionString).", NoLifetime.Instance);
            }

            using var connection = connections.OpenRead();
            return SqliteMigrator.AppliedVersion(connection) == 0
                ? (null, connections.DatabasePath, $"{connections.DatabasePath} has no InventoryPlugin schema.", NoLifetime.Instance)
                : (new SqliteStockReader(connections, TimeProvider.System), connections.DatabasePath, null, NoLifetime.Instance);
        }

        var database = new PostgresDatabase(Options.Create(options));
        try
        {
            var version = await database.RunAsync(PostgresMigrator.AppliedVersionAsync, cancellationToken).ConfigureAwait(false);
            return version == 0
                ? (null, database.Description, $"{database.Description} has no InventoryPlugin schema.", database)
                : (new PostgresStockReader(database, TimeProvider.System), database.Description, null, database);
        }
        catch (StoreUnavailableException exception)
        {
            return (null, database.Description, $"{exception.Message} ({exception.InnerException?.Message})", database);
        }
    }

    private sealed class NoLifetime : IAsyncDisposable
    {
        public static readonly NoLifetime Instance = new();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
