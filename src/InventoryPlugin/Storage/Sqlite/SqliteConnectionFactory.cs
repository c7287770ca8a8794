using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace InventoryPlugin.Storage.Sqlite;

/// <summary>Opens connections to the one SQLite database, each set up the same way.</summary>
public sealed class SqliteConnectionFactory
{
    private readonly string _connectionString;
    private readonly string _writerConnectionString;

    public SqliteConnectionFactory(IOptions<StorageOptions> options, IHostEnvironment environment)
    {
        var builder = new SqliteConnectionStringBuilder(options.Value.ConnectionString);
        if (builder.Mode is not SqliteOpenMode.Memory && !builder.DataSource.StartsWith(':') && !Path.IsPathRooted(builder.DataSource))
        {
            builder.DataSource = Path.Combine(environment.ContentRootPath, builder.DataSource);
        }

        DatabasePath = builder.DataSource;
        _connectionString = builder.ToString();
        if (builder.Mode is not SqliteOpenMode.Memory && CoalescedWalVfs.EnsureRegistered())
        {
            builder.Vfs = CoalescedWalVfs.Name;
        }

        _writerConnectionString = builder.ToString();
    }

    public string DatabasePath { get; }

    /// <summary>A pooled connection for reads; WAL lets reads run beside the writer.</summary>
    public SqliteConnection OpenRead()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        Execute(connection, "PRAGMA busy_timeout = 5000;");
        return connection;
    }

    /// <summary>
    /// The writer's own connection. synchronous=FULL: a platform request is acknowledged only
    /// after its commit has reached the disk. It writes each commit's WAL frames in one call
    /// (<see cref="CoalescedWalVfs"/>, which relies on that FULL).
    /// </summary>
    public SqliteConnection OpenWriter() => OpenForWrites(_writerConnectionString);

    /// <summary>The background checkpointer's connection: set up as the writer's, but it writes no WAL frames.</summary>
    public SqliteConnection OpenCheckpointer() => OpenForWrites(_connectionString);

    private SqliteConnection OpenForWrites(string connectionString)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(DatabasePath));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        var connection = new SqliteConnection(connectionString);
        connection.Open();
        Execute(connection, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;");
        return connection;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
