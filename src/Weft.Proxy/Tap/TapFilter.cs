using Weft.Discovery.V1;

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
        (Direction.Length == 0 || string.Equals(Direction, e.Direction, StringComparison.Ordinal))
        && (Method.Length == 0 || string.Equals(Method, e.Method, StringComparison.OrdinalIgnoreCase))
        && (PathPrefix.Length == 0 || e.Path.StartsWith(PathPrefix, StringComparison.Ordinal))
        && (Authority.Length == 0 || string.Equals(Authority, e.Authority, StringComparison.OrdinalIgnoreCase))
        && (ToService.Length == 0 || (e.Direction == "outbound" && ServiceNameOf(e.DstService).Equals(ToService, StringComparison.Ordinal)))
        && (FromIdentity.Length == 0 || (e.Direction == "inbound" && string.Equals(FromIdentity, e.SrcIdentity, StringComparison.Ordinal)));

    // DstService is "namespace/name"; a filter names the Service's name (the control plane checks the namespace).
    private static ReadOnlySpan<char> ServiceNameOf(string service) => service.AsSpan(service.IndexOf('/') + 1);
}
