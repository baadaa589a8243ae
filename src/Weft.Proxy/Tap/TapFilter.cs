using Weft.Discovery.V1;
using Weft.Proxy.Metrics;

namespace Weft.Proxy.Tap;

/// <summary>
/// What one tap wants, applied in the sidecar before an event is queued (an unwanted request costs a comparison, never a
/// queue slot). Empty fields match anything; the method and authority match without regard to case, the path by prefix.
/// </summary>
internal sealed record TapFilter(string Direction, string Method, string PathPrefix, string Authority, string ToService, string FromIdentity)
{
    public static TapFilter From(TapRequest request) => new(
        request.Direction, request.Method, request.PathPrefix, request.Authority, request.ToService, request.FromIdentity);

    public bool Matches(TapEvent e) =>
        Admits(e.Direction, e.Method, e.Path)
        && (Authority.Length == 0 || string.Equals(Authority, e.Authority, StringComparison.OrdinalIgnoreCase))
        && (ToService.Length == 0 || (e.Direction == RequestLabels.Outbound && string.Equals(ToService, e.DstService, StringComparison.Ordinal)))
        && (FromIdentity.Length == 0 || (e.Direction == RequestLabels.Inbound && string.Equals(FromIdentity, e.SrcIdentity, StringComparison.Ordinal)));

    /// <summary>
    /// The checks a request passes before its event is built: direction, method and, when <paramref name="path"/> is
    /// given, its prefix. <see cref="ToService"/> is the Service's <c>namespace/name</c>, compared whole.
    /// </summary>
    public bool Admits(string direction, string method, string? path) =>
        (Direction.Length == 0 || string.Equals(Direction, direction, StringComparison.Ordinal))
        && (Method.Length == 0 || string.Equals(Method, method, StringComparison.OrdinalIgnoreCase))
        && (PathPrefix.Length == 0 || path is null || path.StartsWith(PathPrefix, StringComparison.Ordinal))
        && (ToService.Length == 0 || direction == RequestLabels.Outbound)
        && (FromIdentity.Length == 0 || direction == RequestLabels.Inbound);
}
