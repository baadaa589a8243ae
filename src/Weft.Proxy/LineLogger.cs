using System.Text;
using Microsoft.Extensions.Logging;
using Weft.Discovery;

namespace Weft.Proxy;

/// <summary>
/// The sidecar's log: one line per entry on stdout, <c>HH:mm:ss.fff level: Category[id] message</c> (the simple console
/// logger's single-line format), written synchronously under a lock. The proxy logs little (failures, start-up), so it
/// needs no queue. Every entry is one line: line breaks in a message become spaces, and an exception is written as its
/// type, message and innermost frame, never a stack trace over many lines; entries with an exception are let through at
/// most once per <see cref="ProxyLog.RefusalInterval"/> per category and event (the next says how many were held back),
/// so a flood of broken connections cannot fill the disk. Leaving Microsoft.Extensions.Logging.Console (its options, formatters and background writer) out
/// of the Native AOT image keeps the sidecar smaller in memory.
/// </summary>
internal sealed class LineLoggerProvider(TextWriter output, TimeProvider time) : ILoggerProvider
{
    private readonly Lock _lock = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string, int), LogLimiter> _limiters = new();

    public ILogger CreateLogger(string categoryName) => new LineLogger(this, categoryName);

    public void Dispose()
    {
    }

    private void Write(string category, LogLevel level, EventId id, string message, Exception? exception)
    {
        long suppressed = 0;
        if (exception is not null && !_limiters.GetOrAdd((category, id.Id), _ => new LogLimiter(ProxyLog.RefusalInterval, time)).TryTake(out suppressed))
        {
            return;
        }

        var line = new StringBuilder(64 + message.Length);
        line.Append(time.GetLocalNow().ToString("HH:mm:ss.fff ", System.Globalization.CultureInfo.InvariantCulture))
            .Append(Label(level)).Append(": ").Append(category).Append('[').Append(id.Id).Append("] ");
        AppendOneLine(line, message);
        for (var e = exception; e is not null; e = e.InnerException)
        {
            line.Append(e == exception ? " " : " <- ").Append(e.GetType().FullName).Append(": ");
            AppendOneLine(line, e.Message);
            if (e.StackTrace?.Split('\n', 2)[0].Trim() is { Length: > 0 } frame)
            {
                line.Append(" (").Append(frame).Append(')');
            }
        }

        if (suppressed > 0)
        {
            line.Append(" (").Append(suppressed).Append(" more like it since the last line)");
        }

        lock (_lock)
        {
            output.WriteLine(line.ToString());
            output.Flush();
        }
    }

    private static void AppendOneLine(StringBuilder line, string text)
    {
        var start = line.Length;
        line.Append(text);
        line.Replace('\r', ' ', start, text.Length).Replace('\n', ' ', start, text.Length);
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

    /// <summary>
    /// Kestrel's start-up warning that HTTP/2 is off on a listener without TLS (<c>Http2DisabledWithHttp1AndNoTls</c>),
    /// which is not so here: the mesh listeners' TLS is the sidecar's own connection middleware, not Kestrel's
    /// <c>UseHttps</c>, and a peer that negotiates ALPN h2 gets HTTP/2. Written, it was two warnings on every sidecar's
    /// start that pointed users at a problem they do not have.
    /// </summary>
    internal static bool Untrue(string category, EventId id) =>
        id.Name == "Http2DisabledWithHttp1AndNoTls" && category.StartsWith("Microsoft.AspNetCore.Server.Kestrel", StringComparison.Ordinal);

    private sealed class LineLogger(LineLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel) && !Untrue(category, eventId))
            {
                provider.Write(category, logLevel, eventId, formatter(state, exception), exception);
            }
        }
    }
}
