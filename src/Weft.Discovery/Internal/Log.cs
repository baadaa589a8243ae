using Microsoft.Extensions.Logging;

namespace Weft.Discovery.Internal;

internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "Subscribing to {Host}:{Port}")]
    public static partial void Subscribing(ILogger logger, string host, int port);

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "Applied version {Version} for {Host}:{Port} (found: {Found})")]
    public static partial void Applied(ILogger logger, string host, int port, ulong version, bool found);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Rejected version {Version} for {Host}:{Port}, keeping the last good one: {Error}")]
    public static partial void Rejected(ILogger logger, string host, int port, ulong version, string error);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Discovery stream for {Host}:{Port} failed, retrying in {Delay}: {Error}")]
    public static partial void StreamFailed(ILogger logger, string host, int port, TimeSpan delay, string error);

    [LoggerMessage(EventId = 5, Level = LogLevel.Debug, Message = "Could not report version {Version} for {Host}:{Port}: {Error}")]
    public static partial void ReportFailed(ILogger logger, string host, int port, ulong version, string error);

    [LoggerMessage(EventId = 6, Level = LogLevel.Debug, Message = "Dropping idle subscription to {Host}:{Port}")]
    public static partial void DroppingIdle(ILogger logger, string host, int port);
}
