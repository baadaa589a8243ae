using Weft.Routing.Matching;

namespace Weft.Routing.Authorization;

/// <summary>
/// A compiled <see cref="AuthorizationScope"/>: whether a Service- or route-targeted policy covers a request. The route
/// rule's matches are the route's own matchers (gamma-spec E3-E5, K1), evaluated on the request as it arrives.
/// </summary>
internal sealed class AuthorizationScopeMatcher
{
    private readonly int[] _ports;
    private readonly HttpRuleMatcher[] _http;
    private readonly GrpcRuleMatcher[] _grpc;

    public AuthorizationScopeMatcher(AuthorizationScope scope, string what)
    {
        _ports = [.. scope.Ports];
        var grpc = scope.TargetKind == "GRPCRoute";
        _http = grpc ? [] : new HttpRuleMatcher[scope.Matches.Count];
        _grpc = grpc ? new GrpcRuleMatcher[scope.Matches.Count] : [];
        for (var i = 0; i < scope.Matches.Count; i++)
        {
            try
            {
                if (grpc)
                {
                    _grpc[i] = new GrpcRuleMatcher(scope.Matches[i], i);
                }
                else
                {
                    _http[i] = new HttpRuleMatcher(scope.Matches[i], i);
                }
            }
            catch (RouteTableException e)
            {
                throw new RouteTableException($"{what} scope matches[{i}]: {e.Message}", e);
            }
        }
    }

    /// <summary>Whether the scope narrows by request (a route target).</summary>
    public bool HasMatches => _http.Length > 0 || _grpc.Length > 0;

    /// <summary>Whether a connection to <paramref name="port"/> is to the scope's ports.</summary>
    public bool CoversPort(int port) => AuthorizationRuleMatcher.PortMatches(_ports, port);

    public bool Covers<THeaders>(in AuthorizationInput input, in THeaders headers)
        where THeaders : IHeaderLookup
    {
        if (!AuthorizationRuleMatcher.PortMatches(_ports, input.Port))
        {
            return false;
        }

        if (!HasMatches)
        {
            return true;
        }

        if (!input.IsL7 || !input.HasPath)
        {
            return false;
        }

        var path = input.Path;
        if (_grpc.Length > 0)
        {
            if (!RouteTable.TrySplitGrpcPath(path, out var service, out var method))
            {
                return false;
            }

            for (var i = 0; i < _grpc.Length; i++)
            {
                if (_grpc[i].IsMatch(service, method, headers))
                {
                    return true;
                }
            }

            return false;
        }

        for (var i = 0; i < _http.Length; i++)
        {
            var m = _http[i];
            if (AuthorizationRuleMatcher.PathMatches(m, path)
                && m.OthersMatch(input.Method!, m.QueryParams.Length > 0 ? input.Query : null, headers))
            {
                return true;
            }
        }

        return false;
    }
}
