using Weft.Api.Model;
using Weft.Routing.Policy;

namespace Weft.Routing.Matching;

/// <summary>
/// The immutable matcher a proxy builds from a <see cref="DestinationPolicy"/>: given a request, the index of the rule
/// that wins (the policy lists rules in precedence order, gamma-spec E1 / K1, so the lowest matching index wins).
/// Exact paths are a dictionary, PathPrefix rules a segment trie, regexes are compiled here once; matching allocates nothing.
/// </summary>
public sealed class RouteTable
{
    private readonly HttpRuleMatcher[] _http;
    private readonly GrpcRuleMatcher[] _grpc;
    private readonly Dictionary<string, int[]> _exact;
    private readonly int[] _regex;
    private readonly PrefixNode _root;

    private RouteTable(DestinationPolicy policy)
    {
        Policy = policy;
        IsGrpc = policy.Protocol == PolicyProtocol.Grpc;
        var rules = policy.Rules;
        var exact = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var regex = new List<int>();
        _root = new PrefixNode(null);
        if (IsGrpc)
        {
            _http = [];
            _grpc = new GrpcRuleMatcher[rules.Count];
            for (var i = 0; i < rules.Count; i++)
            {
                _grpc[i] = new GrpcRuleMatcher(rules[i].Match ?? throw new RouteTableException($"rule {i} has no match"), i);
            }
        }
        else
        {
            _grpc = [];
            _http = new HttpRuleMatcher[rules.Count];
            for (var i = 0; i < rules.Count; i++)
            {
                var m = new HttpRuleMatcher(rules[i].Match ?? throw new RouteTableException($"rule {i} has no match"), i);
                _http[i] = m;
                switch (m.PathType)
                {
                    case PathMatchType.Exact:
                        if (!exact.TryGetValue(m.PathValue, out var list))
                        {
                            exact[m.PathValue] = list = [];
                        }

                        list.Add(i);
                        break;
                    case PathMatchType.RegularExpression:
                        regex.Add(i);
                        break;
                    default:
                        var node = _root;
                        foreach (var segment in m.PathValue.Split('/', StringSplitOptions.None).AsSpan(1))
                        {
                            node = node.GetOrAdd(segment);
                        }

                        node.Add(i);
                        break;
                }
            }
        }

        _root.Seal();
        _exact = new Dictionary<string, int[]>(exact.Count, StringComparer.Ordinal);
        foreach (var (path, list) in exact)
        {
            _exact[path] = [.. list];
        }

        _regex = [.. regex];
    }

    public DestinationPolicy Policy { get; }

    /// <summary>Whether <see cref="Policy"/> holds GRPCRoute rules (match with <see cref="MatchGrpc"/>).</summary>
    public bool IsGrpc { get; }

    /// <exception cref="RouteTableException">The policy has a rule this version cannot compile (the proxy NACKs it).</exception>
    public static RouteTable Build(DestinationPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return new RouteTable(policy);
    }

    /// <summary>
    /// The index into <see cref="DestinationPolicy.Rules"/> of the winning rule, or -1 when none matches
    /// (a 404 when rules exist, gamma-spec C2). <paramref name="path"/> is the request path without the query;
    /// <paramref name="query"/> the raw query string, with or without its leading "?".
    /// On a gRPC table the path is read as "/service/method".
    /// </summary>
    public int Match<THeaders>(string method, string path, string? query, in THeaders headers)
        where THeaders : IHeaderLookup, allows ref struct
    {
        ArgumentNullException.ThrowIfNull(path);
        if (IsGrpc)
        {
            return TrySplitGrpcPath(path, out var service, out var grpcMethod) ? MatchGrpcCore(service, grpcMethod, headers) : -1;
        }

        var best = int.MaxValue;
        if (_exact.Count > 0 && _exact.TryGetValue(path, out var exact))
        {
            best = FirstPassing(exact, best, method, query, headers);
        }

        var regex = _regex;
        for (var i = 0; i < regex.Length; i++)
        {
            var r = regex[i];
            if (r >= best)
            {
                break;
            }

            var m = _http[r];
            if (m.PathRegex!.IsMatch(path) && m.OthersMatch(method, query, headers))
            {
                best = r;
                break;
            }
        }

        if (path.Length > 0 && path[0] == '/')
        {
            // Walk down to the deepest prefix node the path reaches, then back up: deeper = longer prefix (E1 step 2).
            var node = _root;
            var pos = 1;
            while (node.HasChildren && pos <= path.Length)
            {
                var end = path.IndexOf('/', pos);
                if (end < 0)
                {
                    end = path.Length;
                }

                if (!node.TryGetChild(path.AsSpan(pos, end - pos), out var child))
                {
                    break;
                }

                node = child;
                pos = end + 1;
            }

            for (var n = node; n is not null; n = n.Parent)
            {
                var rules = n.Rules;
                if (rules.Length > 0 && rules[0] < best)
                {
                    best = FirstPassing(rules, best, method, query, headers);
                }
            }
        }

        return best == int.MaxValue ? -1 : best;
    }

    /// <summary>The winning GRPCRoute rule for a call to <c>/service/method</c>, or -1 (gRPC UNIMPLEMENTED / HTTP 404).</summary>
    public int MatchGrpc<THeaders>(string service, string method, in THeaders headers)
        where THeaders : IHeaderLookup, allows ref struct
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(method);
        return IsGrpc ? MatchGrpcCore(service, method, headers) : Match("POST", $"/{service}/{method}", null, headers);
    }

    /// <summary>Whether rule <paramref name="index"/> alone matches the request, path included (for a traced plan: the rules that lost).</summary>
    internal bool RuleMatches<THeaders>(int index, string method, string path, string? query, in THeaders headers)
        where THeaders : IHeaderLookup, allows ref struct
    {
        if (IsGrpc)
        {
            return TrySplitGrpcPath(path, out var service, out var grpcMethod) && _grpc[index].IsMatch(service, grpcMethod, headers);
        }

        var m = _http[index];
        return m.PathMatches(path) && m.OthersMatch(method, query, headers);
    }

    private int FirstPassing<THeaders>(int[] candidates, int best, string method, string? query, in THeaders headers)
        where THeaders : IHeaderLookup, allows ref struct
    {
        for (var i = 0; i < candidates.Length; i++)
        {
            var r = candidates[i];
            if (r >= best)
            {
                break;
            }

            if (_http[r].OthersMatch(method, query, headers))
            {
                return r;
            }
        }

        return best;
    }

    private int MatchGrpcCore<THeaders>(ReadOnlySpan<char> service, ReadOnlySpan<char> method, in THeaders headers)
        where THeaders : IHeaderLookup, allows ref struct
    {
        var rules = _grpc;
        for (var i = 0; i < rules.Length; i++)
        {
            if (rules[i].IsMatch(service, method, headers))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Splits a gRPC request path "/package.Service/Method" into its service and method (also for the authorization decision).</summary>
    internal static bool TrySplitGrpcPath(ReadOnlySpan<char> path, out ReadOnlySpan<char> service, out ReadOnlySpan<char> method)
    {
        service = default;
        method = default;
        if (path.Length < 4 || path[0] != '/')
        {
            return false;
        }

        var rest = path[1..];
        var slash = rest.IndexOf('/');
        if (slash <= 0 || slash == rest.Length - 1)
        {
            return false;
        }

        service = rest[..slash];
        method = rest[(slash + 1)..];
        return method.IndexOf('/') < 0;
    }
}
