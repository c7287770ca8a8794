using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace InventoryPlugin.Storage.Sqlite;

/// <summary>
/// One of the writer's statements, prepared once on its connection and run through SQLite's own
/// API: values bound by position, columns read in place. The writer runs a handful of these per
/// item of every platform request; through <see cref="SqliteCommand"/> each run also cost a reader,
/// a parameter lookup by name and UTF-8 copies (the bench's <c>--allocations</c>: about 6.7 KB an
/// item), none of which SQLite needs.
/// </summary>
/// <remarks>
/// One execution lasts from <see cref="WriteContext.Prepared"/> to the end of <see cref="Execute"/>,
/// <see cref="ExecuteInsert"/> or, for rows read one by one, <see cref="Dispose"/>; each of them
/// resets the statement, so none is left running when the writer commits. A statement run to its end
/// may run again with the same values (the savepoints do).
/// </remarks>
public sealed class PreparedStatement : IDisposable
{
    private readonly sqlite3 _database;
    private readonly sqlite3_stmt _statement;
    private readonly string[] _names;
    private readonly int[] _positions;

    private PreparedStatement(sqlite3 database, sqlite3_stmt statement, string[] names, int[] positions)
    {
        _database = database;
        _statement = statement;
        _names = names;
        _positions = positions;
    }

    /// <summary>Prepares <paramref name="sql"/> (one statement) for values given in the order of <paramref name="names"/>.</summary>
    internal static PreparedStatement Prepare(SqliteConnection connection, string sql, string[] names)
    {
        var database = connection.Handle ?? throw new InvalidOperationException("The writer's connection is not open.");
        Check(raw.sqlite3_prepare_v3(database, sql, raw.SQLITE_PREPARE_PERSISTENT, out var statement, out string tail), database);
        if (!string.IsNullOrWhiteSpace(tail))
        {
            statement.Dispose();
            throw new ArgumentException($"Only one statement can be prepared at a time; this follows the first: {tail}", nameof(sql));
        }

        var positions = new int[names.Length];
        for (var i = 0; i < names.Length; i++)
        {
            positions[i] = raw.sqlite3_bind_parameter_index(statement, names[i]);
            if (positions[i] == 0)
            {
                statement.Dispose();
                throw new ArgumentException($"The statement has no parameter {names[i]}: {sql}", nameof(names));
            }
        }

        return new PreparedStatement(database, statement, names, positions);
    }

    /// <summary>Starts an execution with these values, in the order the statement was prepared with.</summary>
    internal PreparedStatement Bind(ReadOnlySpan<(string Name, object? Value)> values)
    {
        raw.sqlite3_reset(_statement);
        if (values.Length != _names.Length)
        {
            throw new ArgumentException($"The statement was prepared with {_names.Length} values, not {values.Length}.", nameof(values));
        }

        for (var i = 0; i < values.Length; i++)
        {
            // Positions are resolved once, by the first call's names: a later call in another order would bind silently wrong.
            if (!string.Equals(values[i].Name, _names[i], StringComparison.Ordinal))
            {
                throw new ArgumentException($"Value {i} is {values[i].Name}; the statement was prepared with {_names[i]} there.", nameof(values));
            }

            var position = _positions[i];
            Check(
                values[i].Value switch
                {
                    null => raw.sqlite3_bind_null(_statement, position),
                    string text => raw.sqlite3_bind_text16(_statement, position, text.AsSpan()),
                    long number => raw.sqlite3_bind_int64(_statement, position, number),
                    int number => raw.sqlite3_bind_int64(_statement, position, number),
                    bool flag => raw.sqlite3_bind_int64(_statement, position, flag ? 1 : 0),
                    byte[] bytes => raw.sqlite3_bind_blob(_statement, position, bytes),
                    var other => throw new ArgumentException($"No binding for a {other.GetType().Name} ({values[i].Name}).", nameof(values)),
                },
                _database);
        }

        return this;
    }

    /// <summary>Moves to the next row; false (and the execution ends) when there is none.</summary>
    public bool Read()
    {
        var result = raw.sqlite3_step(_statement);
        if (result == raw.SQLITE_ROW)
        {
            return true;
        }

        raw.sqlite3_reset(_statement);
        Check(result == raw.SQLITE_DONE ? raw.SQLITE_OK : result, _database);
        return false;
    }

    /// <summary>Runs the statement to its end; for an INSERT, UPDATE or DELETE, the rows it changed (SQLite's count of its last such statement).</summary>
    public int Execute()
    {
        while (Read())
        {
        }

        return raw.sqlite3_changes(_database);
    }

    /// <summary>Runs an INSERT to its end; the rowid of the row it inserted.</summary>
    /// <remarks>
    /// Instead of <c>RETURNING</c>: SQLite runs a statement with <c>RETURNING</c> as one with a trigger,
    /// so each one inside the writer's transaction opens a statement journal of its own and copies every
    /// page it touches into it again, however often the request's savepoint already holds that page.
    /// </remarks>
    public long ExecuteInsert()
    {
        Execute();
        return raw.sqlite3_last_insert_rowid(_database);
    }

    public bool IsNull(int column) => raw.sqlite3_column_type(_statement, column) == raw.SQLITE_NULL;

    public long GetInt64(int column) => raw.sqlite3_column_int64(_statement, column);

    public string GetString(int column) => raw.sqlite3_column_text(_statement, column).utf8_to_string();

    public string? GetNullableString(int column) => IsNull(column) ? null : GetString(column);

    public ReadOnlySpan<byte> GetBlob(int column) => raw.sqlite3_column_blob(_statement, column);

    /// <summary>Ends the current execution; the statement stays prepared for the next.</summary>
    public void Dispose() => raw.sqlite3_reset(_statement);

    /// <summary>Finalizes the statement, before its connection closes.</summary>
    internal void Close() => _statement.Dispose();

    private static void Check(int result, sqlite3 database)
    {
        if (result != raw.SQLITE_OK)
        {
            SqliteException.ThrowExceptionForRC(result, database);
        }
    }
}

/// <summary>The writer connection's prepared statements, by SQL text; closed with that connection.</summary>
internal sealed class PreparedStatements
{
    private readonly Dictionary<string, PreparedStatement> _statements = new(StringComparer.Ordinal);

    public PreparedStatement Get(SqliteConnection connection, string sql, ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        if (!_statements.TryGetValue(sql, out var statement))
        {
            var names = new string[parameters.Length];
            for (var i = 0; i < parameters.Length; i++)
            {
                names[i] = parameters[i].Name;
            }

            statement = PreparedStatement.Prepare(connection, sql, names);
            _statements.Add(sql, statement);
        }

        return statement.Bind(parameters);
    }

    public void Clear()
    {
        foreach (var statement in _statements.Values)
        {
            statement.Close();
        }

        _statements.Clear();
    }
}
