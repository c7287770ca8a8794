using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace InventoryPlugin.Tests.Infrastructure;

public sealed record CapturedLog(LogLevel Level, string Category, string Message, IReadOnlyDictionary<string, object?> Properties, Exception? Exception);

/// <summary>Keeps every log event of a host, with its structured properties, for tests to inspect.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<CapturedLog> _entries = new();

    public IReadOnlyList<CapturedLog> Entries => [.. _entries];

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _entries);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<CapturedLog> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var properties = state is IEnumerable<KeyValuePair<string, object?>> pairs
                ? pairs.ToDictionary(p => p.Key, p => p.Value)
                : [];
            entries.Enqueue(new CapturedLog(logLevel, category, formatter(state, exception), properties, exception));
        }
    }
}
