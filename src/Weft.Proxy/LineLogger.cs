using System.Text;
using Microsoft.Extensions.Logging;

namespace Weft.Proxy;

/// <summary>
/// The sidecar's log: one line per entry on stdout, <c>HH:mm:ss.fff level: Category[id] message</c> (the simple console
/// logger's single-line format), written synchronously under a lock. The proxy logs little (failures, start-up), so it
/// needs no queue; and leaving Microsoft.Extensions.Logging.Console (its options, formatters and background writer) out
/// of the Native AOT image keeps the sidecar smaller in memory.
/// </summary>
internal sealed class LineLoggerProvider(TextWriter output, TimeProvider time) : ILoggerProvider
{
    private readonly Lock _lock = new();

    public ILogger CreateLogger(string categoryName) => new LineLogger(this, categoryName);

    public void Dispose()
    {
    }

    private void Write(string category, LogLevel level, EventId id, string message, Exception? exception)
    {
        var line = new StringBuilder(64 + message.Length);
        line.Append(time.GetLocalNow().ToString("HH:mm:ss.fff ", System.Globalization.CultureInfo.InvariantCulture))
            .Append(Label(level)).Append(": ").Append(category).Append('[').Append(id.Id).Append("] ").Append(message);
        if (exception is not null)
        {
            line.Append(' ').Append(exception);
        }

        lock (_lock)
        {
            output.WriteLine(line.ToString());
            output.Flush();
        }
    }

    private static string Label(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        _ => "crit",
    };

    private sealed class LineLogger(LineLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                provider.Write(category, logLevel, eventId, formatter(state, exception), exception);
            }
        }
    }
}
