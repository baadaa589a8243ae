using Microsoft.Extensions.Logging;

namespace Weft.ControlPlane.Internal;

internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Loaded {Directory}: {Objects} objects, {Problems} problems (store version {Version})")]
    public static partial void Loaded(ILogger logger, string directory, int objects, int problems, long version);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Not watching {Directory} for changes, rescanning only: {Error}")]
    public static partial void WatcherUnavailable(ILogger logger, string directory, string error);

    [LoggerMessage(EventId = 3, Level = LogLevel.Error, Message = "Rescanning {Directory} failed")]
    public static partial void RescanFailed(ILogger logger, string directory, Exception exception);

    [LoggerMessage(EventId = 4, Level = LogLevel.Debug, Message = "Translated store version {StoreVersion} into model {ModelVersion}")]
    public static partial void Translated(ILogger logger, long storeVersion, ulong modelVersion);

    [LoggerMessage(EventId = 5, Level = LogLevel.Error, Message = "Translating store version {StoreVersion} failed; keeping the previous model")]
    public static partial void TranslateFailed(ILogger logger, long storeVersion, Exception exception);

    [LoggerMessage(EventId = 6, Level = LogLevel.Debug, Message = "{ClientPod} subscribed to {Host}:{Port}")]
    public static partial void Subscribed(ILogger logger, string clientPod, string host, int port);

    [LoggerMessage(EventId = 7, Level = LogLevel.Debug, Message = "Sent version {Version} ({Status}) of {Host}:{Port} to {ClientPod}")]
    public static partial void Sent(ILogger logger, ulong version, string status, string host, int port, string clientPod);

    [LoggerMessage(EventId = 8, Level = LogLevel.Warning, Message = "{ClientPod} rejected version {Version} of {Host}:{Port}: {Error}")]
    public static partial void Nacked(ILogger logger, string clientPod, ulong version, string host, int port, string error);

    [LoggerMessage(EventId = 9, Level = LogLevel.Error, Message = "Compiling the policy of {Host}:{Port} for namespace {ClientNamespace} failed")]
    public static partial void CompileFailed(ILogger logger, string host, int port, string clientNamespace, Exception exception);

    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "Control plane listening on {Address}")]
    public static partial void Listening(ILogger logger, Uri address);

    [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "Mesh CA: signing with '{Root}' (valid until {NotAfter:O}, {Source}), trust domain {TrustDomain}, {Roots} trusted roots")]
    public static partial void CaReady(ILogger logger, string root, DateTime notAfter, string source, string trustDomain, int roots);

    [LoggerMessage(EventId = 12, Level = LogLevel.Information, Message = "Issued certificate {Serial} for {SpiffeId} to pod {Namespace}/{Pod}, valid until {NotAfter:O}")]
    public static partial void CertificateIssued(ILogger logger, string serial, string spiffeId, string @namespace, string pod, DateTimeOffset notAfter);

    [LoggerMessage(EventId = 13, Level = LogLevel.Warning, Message = "Refused a certificate request from {Peer}: {Reason}")]
    public static partial void CertificateRefused(ILogger logger, string peer, string reason);
}
