using Microsoft.Extensions.Logging;

namespace Weft.Echo;

internal static partial class EchoLog
{
    [LoggerMessage(1, LogLevel.Information, "echo listening on {EndPoint} ({Kind})")]
    public static partial void Listening(ILogger logger, string endPoint, string kind);

    [LoggerMessage(2, LogLevel.Warning, "echo: not serving port {Port} ({Kind}): {Reason}")]
    public static partial void PortSkipped(ILogger logger, int port, string kind, string reason);

    [LoggerMessage(3, LogLevel.Warning, "echo: {Warning}")]
    public static partial void ArgumentIgnored(ILogger logger, string warning);

    [LoggerMessage(4, LogLevel.Debug, "HTTP request {Method} {Target} {Protocol} on port {Port}")]
    public static partial void HttpRequest(ILogger logger, string method, string target, string protocol, int port);

    [LoggerMessage(5, LogLevel.Debug, "gRPC request {GrpcMethod} on port {Port}")]
    public static partial void GrpcRequest(ILogger logger, string grpcMethod, int port);

    [LoggerMessage(6, LogLevel.Warning, "TCP accept on {EndPoint} failed: {Reason}")]
    public static partial void TcpAcceptFailed(ILogger logger, string endPoint, string reason);

    [LoggerMessage(7, LogLevel.Error, "echo: {Message}")]
    public static partial void Failed(ILogger logger, string message);

    [LoggerMessage(8, LogLevel.Information, "echo stopped")]
    public static partial void Stopped(ILogger logger);

    [LoggerMessage(9, LogLevel.Debug, "WebSocket opened on port {Port}")]
    public static partial void WebSocketOpened(ILogger logger, int port);

    [LoggerMessage(10, LogLevel.Debug, "WebSocket on port {Port} closed after {Messages} messages")]
    public static partial void WebSocketClosed(ILogger logger, int port, int messages);

    [LoggerMessage(11, LogLevel.Debug, "WebSocket on port {Port} aborted: {Reason}")]
    public static partial void WebSocketAborted(ILogger logger, int port, string reason);
}
