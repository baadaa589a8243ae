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

    [LoggerMessage(EventId = 7, Level = LogLevel.Information, Message = "Got certificate {Serial} for {SpiffeId}, valid until {NotAfter:O}, renewing at {RenewAt:O}")]
    public static partial void IdentityIssued(ILogger logger, string spiffeId, string serial, DateTimeOffset notAfter, DateTimeOffset renewAt);

    [LoggerMessage(EventId = 8, Level = LogLevel.Warning, Message = "Getting a workload certificate failed (attempt {Attempt}), retrying in {Delay}; the current one is valid until {NotAfter:O}: {Error}")]
    public static partial void IdentityRequestFailed(ILogger logger, int attempt, TimeSpan delay, DateTimeOffset? notAfter, string error);

    [LoggerMessage(EventId = 9, Level = LogLevel.Error, Message = "A handler of WorkloadIdentity.Changed failed")]
    public static partial void IdentityChangedHandlerFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "Applied inbound policy version {Version} for {Pod} (found: {Found})")]
    public static partial void InboundApplied(ILogger logger, string pod, ulong version, bool found);

    [LoggerMessage(EventId = 11, Level = LogLevel.Warning, Message = "Rejected inbound policy version {Version} for {Pod}, keeping the last good one: {Error}")]
    public static partial void InboundRejected(ILogger logger, string pod, ulong version, string error);

    [LoggerMessage(EventId = 12, Level = LogLevel.Warning, Message = "Inbound policy stream for {Pod} failed, retrying in {Delay}: {Error}")]
    public static partial void InboundStreamFailed(ILogger logger, string pod, TimeSpan delay, string error);

    [LoggerMessage(EventId = 13, Level = LogLevel.Warning, Message = "The limit of {Limit} discovery subscriptions is reached: {Host}:{Port} refused ({Refused} refused since start; logged once a minute at most)")]
    public static partial void SubscriptionLimitReached(ILogger logger, int limit, string host, int port, long refused);

    [LoggerMessage(EventId = 14, Level = LogLevel.Information, Message = "The control plane has no Reports stream (an older one): each ACK and NACK is a Report call for the next {For}")]
    public static partial void ReportsUnimplemented(ILogger logger, TimeSpan @for);

    [LoggerMessage(EventId = 15, Level = LogLevel.Warning, Message = "The Reports stream failed, opening it again in {Delay}: {Error}")]
    public static partial void ReportsFailed(ILogger logger, TimeSpan delay, string error);
}
