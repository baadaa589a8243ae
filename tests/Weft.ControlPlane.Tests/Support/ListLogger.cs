using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Weft.ControlPlane.Tests.Support;

/// <summary>Keeps what was logged, for assertions and for a failing test's message.</summary>
internal sealed class ListLogger : ILogger
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Lines.Enqueue($"{logLevel}: {formatter(state, exception)}{(exception is null ? "" : " " + exception)}");

    public override string ToString() => string.Join(Environment.NewLine, Lines);
}
