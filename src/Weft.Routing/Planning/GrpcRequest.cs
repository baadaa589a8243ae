namespace Weft.Routing.Planning;

/// <summary>
/// What makes an HTTP request a gRPC call (grpc/grpc doc/PROTOCOL-HTTP2.md), decided once for the proxy and
/// <c>weft explain</c>: its content-type, and its <c>/package.Service/Method</c> path.
/// </summary>
public static class GrpcRequest
{
    /// <summary>Whether <paramref name="contentType"/> is <c>application/grpc</c>, <c>application/grpc+proto</c>, <c>application/grpc;…</c> etc.</summary>
    public static bool IsGrpcContentType(string? contentType) =>
        contentType is not null && contentType.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase)
        && (contentType.Length == 16 || contentType[16] is '+' or ';');

    /// <summary>Splits <c>/package.Service/Method</c>.</summary>
    public static bool TryParsePath(string? path, out string service, out string method)
    {
        service = method = "";
        if (string.IsNullOrEmpty(path) || path[0] != '/')
        {
            return false;
        }

        var slash = path.IndexOf('/', 1);
        if (slash <= 1 || slash == path.Length - 1 || path.IndexOf('/', slash + 1) >= 0)
        {
            return false;
        }

        service = path[1..slash];
        method = path[(slash + 1)..];
        return true;
    }
}
