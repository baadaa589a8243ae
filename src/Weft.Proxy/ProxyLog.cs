using Microsoft.Extensions.Logging;

namespace Weft.Proxy;

/// <summary>Every log line the proxy writes (source-generated).</summary>
internal static partial class ProxyLog
{
    [LoggerMessage(1, LogLevel.Information, "weft-proxy {Pod} listening: outbound {Outbound}, inbound {Inbound}, admin {Admin}")]
    public static partial void Started(ILogger logger, string pod, string outbound, string inbound, string admin);

    [LoggerMessage(2, LogLevel.Warning, "Bad CONNECT request on connection {ConnectionId} from {Remote} ({Suppressed} more since the last line)")]
    public static partial void BadConnect(ILogger logger, string connectionId, string? remote, long suppressed);

    [LoggerMessage(3, LogLevel.Warning, "Request {Method} {Target} from {Remote} has no destination (not absolute-form, not in a CONNECT tunnel)")]
    public static partial void NoDestination(ILogger logger, string method, string? target, string? remote);

    [LoggerMessage(4, LogLevel.Warning, "No policy for {Host}:{Port}: {Reason}")]
    public static partial void DiscoveryFailed(ILogger logger, string host, int port, string reason);

    /// <summary>A failed look-up of host:port; not a subscription-limit refusal, which the discovery client counts and logs.</summary>
    public static void DiscoveryFailed(ILogger logger, string host, int port, Exception error)
    {
        if (error is not Weft.Discovery.SubscriptionLimitException)
        {
            DiscoveryFailed(logger, host, port, error.Message);
        }
    }

    [LoggerMessage(5, LogLevel.Warning, "Traffic for {Host}:{Port}, outside the mesh, refused: {Reason} ({Suppressed} more refusals since the last line)")]
    public static partial void OutsideMeshRefused(ILogger logger, string host, int port, string reason, long suppressed);

    [LoggerMessage(7, LogLevel.Warning, "Forwarding to {Address}:{Port} ({Namespace}/{Backend}) failed: {Error} {Detail}")]
    public static partial void ForwardFailed(ILogger logger, string error, string address, int port, string @namespace, string backend, string? detail);

    [LoggerMessage(8, LogLevel.Warning, "Inbound request without a valid weft-dst-port header ('{Value}') from {Remote}")]
    public static partial void BadDestinationPort(ILogger logger, string value, string? remote);

    [LoggerMessage(9, LogLevel.Debug, "Mirror to {Namespace}/{Backend} skipped: {Reason}")]
    public static partial void MirrorSkipped(ILogger logger, string @namespace, string backend, string reason);

    [LoggerMessage(10, LogLevel.Debug, "Mirror to {Namespace}/{Backend} failed: {Reason}")]
    public static partial void MirrorFailed(ILogger logger, string @namespace, string backend, string reason);

    [LoggerMessage(11, LogLevel.Error, "Unhandled error serving {Method} {Path} on the {Listener} listener")]
    public static partial void Unhandled(ILogger logger, Exception exception, string method, string path, string listener);

    [LoggerMessage(12, LogLevel.Warning, "Plaintext connection from {Remote} refused: the inbound port is strict mTLS ({Suppressed} more since the last line)")]
    public static partial void PlaintextRefused(ILogger logger, string? remote, long suppressed);

    [LoggerMessage(13, LogLevel.Warning, "Inbound mTLS handshake from {Remote} refused: {Reason} ({Suppressed} more refused since the last line)")]
    public static partial void InboundHandshakeFailed(ILogger logger, string? remote, string reason, long suppressed);

    [LoggerMessage(14, LogLevel.Warning, "Outbound mTLS handshake to {Remote} (expecting {Expected}) failed: {Reason}")]
    public static partial void OutboundHandshakeFailed(ILogger logger, string? remote, string expected, string reason);

    [LoggerMessage(15, LogLevel.Error, "Could not get a workload certificate: {Reason}")]
    public static partial void IdentityFailed(ILogger logger, string reason);

    [LoggerMessage(16, LogLevel.Warning, "Connection to {Host}:{Port} rejected: {Reason}")]
    public static partial void L4Rejected(ILogger logger, string host, int port, string reason);

    [LoggerMessage(17, LogLevel.Debug, "TCP {Host}:{Port} via {Backend} ({Address}:{TargetPort}, SNI {ServerName}) closed: {Up} bytes up, {Down} down")]
    public static partial void L4Closed(ILogger logger, string host, int port, string backend, string address, int targetPort, string? serverName, long up, long down);

    [LoggerMessage(18, LogLevel.Warning, "Opaque tunnel from {Remote} ({Peer}) without a valid PROXY header naming an app port; closed")]
    public static partial void BadTunnelHeader(ILogger logger, string? remote, string peer);

    [LoggerMessage(19, LogLevel.Warning, "Connection from {Remote} to port {Port}, captured outside the mesh, refused: {Reason}")]
    public static partial void CapturedRefused(ILogger logger, string? remote, int port, string reason);

    [LoggerMessage(20, LogLevel.Warning, "Denied {Caller} to port {Port} ({Method} {Path}) by {Policy} rule '{Rule}': {Reason} ({Suppressed} more denials of this caller by this rule since the last line)")]
    public static partial void Denied(ILogger logger, string caller, int port, string method, string path, string policy, string rule, string reason, long suppressed);

    [LoggerMessage(21, LogLevel.Error, "Authorizing {Caller} to port {Port} failed, denied: {Error}")]
    public static partial void AuthorizationFailed(ILogger logger, string caller, int port, string error);

    [LoggerMessage(22, LogLevel.Debug, "Refused inbound {What} to port {Port} from {Caller}: no inbound policy received yet")]
    public static partial void NoInboundPolicy(ILogger logger, string what, int port, string caller);

    [LoggerMessage(23, LogLevel.Warning, "The {Listener} listener is full ({Limit} connections): a connection from {Remote} was closed at once ({Suppressed} more since the last line)")]
    public static partial void ListenerFull(ILogger logger, string listener, int limit, string? remote, long suppressed);

    [LoggerMessage(24, LogLevel.Warning, "Connection limits lowered to fit {Descriptors} file descriptors (RLIMIT_NOFILE): outbound {Outbound}, inbound {Inbound}, admin {Admin}")]
    public static partial void LimitsLowered(ILogger logger, long descriptors, int outbound, int inbound, int admin);

    [LoggerMessage(25, LogLevel.Information, "A connection flood is over ({Peak} connections at its peak, {Now} now): memory returned to the OS")]
    public static partial void FloodOver(ILogger logger, long peak, long now);

    [LoggerMessage(26, LogLevel.Warning, "The {Listener} listener is full ({Limit} connections): its oldest connection without a request in flight was closed to admit one from {Remote} ({Suppressed} more since the last line)")]
    public static partial void ListenerShed(ILogger logger, string listener, int limit, string? remote, long suppressed);

    [LoggerMessage(27, LogLevel.Debug, "Connection from {Remote} on the {Listener} listener ended: {Reason}")]
    public static partial void ConnectionEndedByReset(ILogger logger, string listener, string? remote, string reason);

    [LoggerMessage(28, LogLevel.Debug, "Client {Remote} went away between or inside requests: {Reason}")]
    public static partial void ClientGone(ILogger logger, string? remote, string reason);

    [LoggerMessage(29, LogLevel.Debug, "Started: let go of {Kb} KB of file pages touched while starting (StartupPages)")]
    public static partial void StartupPagesDropped(ILogger logger, long kb);

    [LoggerMessage(30, LogLevel.Debug, "Idle: gave memory back, resident {BeforeKb} -> {AfterKb} KB ({DroppedKb} KB of file pages let go)")]
    public static partial void IdleTrimmed(ILogger logger, long beforeKb, long afterKb, long droppedKb);

    [LoggerMessage(31, LogLevel.Warning, "Idle: looking whether to give memory back failed; looking again next interval")]
    public static partial void IdleTrimFailed(ILogger logger, Exception exception);

    // Issue 16's tap: event ids 160-169, apart from the other parts of that issue.
    [LoggerMessage(160, LogLevel.Warning, "Refused a tap from {Remote} ({Peer}): only the control plane ({Expected}) may tap this sidecar")]
    public static partial void TapRefused(ILogger logger, string? remote, string peer, string expected);

    [LoggerMessage(161, LogLevel.Information, "Tap by the control plane {Outcome}: {Sent} events sent, {Dropped} dropped")]
    public static partial void TapEnded(ILogger logger, string outcome, long sent, long dropped);

    /// <summary>How often a line about a refused or malformed connection may be written (the rest are counted in the next one).</summary>
    public static readonly TimeSpan RefusalInterval = TimeSpan.FromSeconds(1);
}
