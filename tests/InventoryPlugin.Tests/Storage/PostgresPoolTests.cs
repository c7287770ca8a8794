using InventoryPlugin.Storage;
using InventoryPlugin.Storage.Postgres;
using Microsoft.Extensions.Options;
using Npgsql;

namespace InventoryPlugin.Tests.Storage;

/// <summary>
/// A replica opens at most <see cref="PostgresDatabase.DefaultMaxPoolSize"/> connections unless the
/// operator's connection string names its own pool size, in any of Npgsql's spellings.
/// </summary>
public sealed class PostgresPoolTests
{
    [TestCase("Host=db;Database=inventory", PostgresDatabase.DefaultMaxPoolSize)]
    [TestCase("Host=db;Database=inventory;Maximum Pool Size=100", 100)]
    [TestCase("Host=db;Database=inventory;maximum pool size=3", 3)]
    [TestCase("Host=db;Database=inventory;MaxPoolSize=40", 40)]
    public async Task The_pool_is_bounded_unless_the_connection_string_sets_its_size(string connectionString, int expected)
    {
        await using var database = new PostgresDatabase(Options.Create(new StorageOptions { Provider = "Postgres", ConnectionString = connectionString }));

        Assert.That(new NpgsqlConnectionStringBuilder(database.DataSource.ConnectionString).MaxPoolSize, Is.EqualTo(expected));
    }

    [TestCase("Host=db;Database=inventory", true)]
    [TestCase("Host=db;Database=inventory;No Reset On Close=false", false)]
    [TestCase("Host=db;Database=inventory;NoResetOnClose=false", false)]
    public async Task Pooled_connections_go_back_without_a_reset_unless_the_connection_string_asks_for_one(string connectionString, bool expected)
    {
        await using var database = new PostgresDatabase(Options.Create(new StorageOptions { Provider = "Postgres", ConnectionString = connectionString }));

        Assert.Multiple(() =>
        {
            Assert.That(new NpgsqlConnectionStringBuilder(database.DataSource.ConnectionString).NoResetOnClose, Is.EqualTo(expected));
            Assert.That(new NpgsqlConnectionStringBuilder(database.SessionDataSource.ConnectionString).Pooling, Is.False, "session state ends with its connection");
        });
    }
}
