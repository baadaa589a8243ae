using System.Globalization;
using Weft.Api.Model;
using Weft.Routing.Policy;

namespace Weft.Routing.Internal;

/// <summary>
/// Rule precedence across all routes of the selected group (gamma-spec E1 for HTTPRoute, K1 for GRPCRoute).
/// HTTP: Exact path, then RegularExpression path (Weft's choice, longer pattern first), then PathPrefix by length; then
/// method, most headers, most query params; then the oldest route, "{ns}/{name}", rule order, match order.
/// Regex sits between Exact and PathPrefix so that a catch-all prefix (the default of every match without a path,
/// and of every rule without matches, C4/E3) does not make every regex rule unreachable.
/// </summary>
internal static class Precedence
{
    public static int CompareHttp(RuleCandidate a, RuleCandidate b) => CompareHttp(a, b, out _);

    public static int CompareGrpc(RuleCandidate a, RuleCandidate b) => CompareGrpc(a, b, out _);

    /// <summary>Negative when <paramref name="a"/> wins; <paramref name="step"/> says which step decided.</summary>
    public static int CompareHttp(RuleCandidate a, RuleCandidate b, out string step)
    {
        var ma = a.Match;
        var mb = b.Match;
        int c;
        var ra = PathRank(ma);
        var rb = PathRank(mb);
        if ((c = ra.CompareTo(rb)) != 0)
        {
            var (win, lose) = c < 0 ? (ma, mb) : (mb, ma);
            step = win.PathType == PathMatchType.Exact
                ? $"E1 step 1: Exact path {win.PathValue} beats {lose.PathType} {lose.PathValue}"
                : $"E1 (Weft): RegularExpression path {win.PathValue} ranks before PathPrefix {lose.PathValue}";
            return c;
        }

        var la = PathLength(ma);
        var lb = PathLength(mb);
        if ((c = lb.CompareTo(la)) != 0)
        {
            var (win, lose, lw, ll) = c < 0 ? (ma, mb, la, lb) : (mb, ma, lb, la);
            step = win.PathType == PathMatchType.PathPrefix
                ? $"E1 step 2: longest PathPrefix ({win.PathValue} has {lw} chars, {lose.PathValue} has {ll})"
                : $"E1 (Weft): longer RegularExpression first ({win.PathValue} has {lw} chars, {lose.PathValue} has {ll})";
            return c;
        }

        if ((c = (mb.Method is not null).CompareTo(ma.Method is not null)) != 0)
        {
            step = $"E1 step 3: method match ({(c < 0 ? ma : mb).Method}) beats no method match";
            return c;
        }

        if ((c = mb.Headers.Count.CompareTo(ma.Headers.Count)) != 0)
        {
            step = $"E1 step 4: most header matches ({Math.Max(ma.Headers.Count, mb.Headers.Count)} vs {Math.Min(ma.Headers.Count, mb.Headers.Count)})";
            return c;
        }

        if ((c = mb.QueryParams.Count.CompareTo(ma.QueryParams.Count)) != 0)
        {
            step = $"E1 step 5: most query param matches ({Math.Max(ma.QueryParams.Count, mb.QueryParams.Count)} vs {Math.Min(ma.QueryParams.Count, mb.QueryParams.Count)})";
            return c;
        }

        return CompareTail(a, b, "E1", out step);
    }

    /// <summary>K1: service chars, method chars, header count, then the E1 tie-breaks.</summary>
    public static int CompareGrpc(RuleCandidate a, RuleCandidate b, out string step)
    {
        var ma = a.Match;
        var mb = b.Match;
        int c;
        if ((c = (mb.GrpcService?.Length ?? 0).CompareTo(ma.GrpcService?.Length ?? 0)) != 0)
        {
            step = $"K1 step 3: most characters in the matching service ({Math.Max(ma.GrpcService?.Length ?? 0, mb.GrpcService?.Length ?? 0)} vs {Math.Min(ma.GrpcService?.Length ?? 0, mb.GrpcService?.Length ?? 0)})";
            return c;
        }

        if ((c = (mb.GrpcMethod?.Length ?? 0).CompareTo(ma.GrpcMethod?.Length ?? 0)) != 0)
        {
            step = $"K1 step 4: most characters in the matching method ({Math.Max(ma.GrpcMethod?.Length ?? 0, mb.GrpcMethod?.Length ?? 0)} vs {Math.Min(ma.GrpcMethod?.Length ?? 0, mb.GrpcMethod?.Length ?? 0)})";
            return c;
        }

        if ((c = mb.Headers.Count.CompareTo(ma.Headers.Count)) != 0)
        {
            step = $"K1 step 5: most header matches ({Math.Max(ma.Headers.Count, mb.Headers.Count)} vs {Math.Min(ma.Headers.Count, mb.Headers.Count)})";
            return c;
        }

        return CompareTail(a, b, "K1", out step);
    }

    /// <summary>Routes of a group in a stable order: oldest first, then "{ns}/{name}".</summary>
    public static int CompareRoutes(AnalyzedRoute a, AnalyzedRoute b) => CompareAge(a, b) is var c and not 0 ? c : string.CompareOrdinal(a.Key, b.Key);

    private static int CompareTail(RuleCandidate a, RuleCandidate b, string rule, out string step)
    {
        int c;
        if (!ReferenceEquals(a.Route, b.Route))
        {
            if ((c = CompareAge(a.Route, b.Route)) != 0)
            {
                step = $"{rule} tie-break: oldest creationTimestamp ({Stamp(c < 0 ? a.Route : b.Route)} before {Stamp(c < 0 ? b.Route : a.Route)})";
                return c;
            }

            c = string.CompareOrdinal(a.Route.Key, b.Route.Key);
            step = $"{rule} tie-break: \"{{namespace}}/{{name}}\" alphabetical ({(c < 0 ? a : b).Route.Key} before {(c < 0 ? b : a).Route.Key})";
            return c;
        }

        if ((c = a.Rule.Index.CompareTo(b.Rule.Index)) != 0)
        {
            step = $"{rule} tie-break: first rule in list order (rules[{Math.Min(a.Rule.Index, b.Rule.Index)}] before rules[{Math.Max(a.Rule.Index, b.Rule.Index)}])";
            return c;
        }

        c = a.MatchIndex.CompareTo(b.MatchIndex);
        step = $"{rule} tie-break: first match in list order (matches[{Math.Min(a.MatchIndex, b.MatchIndex)}] before matches[{Math.Max(a.MatchIndex, b.MatchIndex)}])";
        return c;
    }

    /// <summary>
    /// The Gateway API's order among objects that conflict (routes here; BackendTLSPolicies and XBackendTrafficPolicies on
    /// one target): the oldest creationTimestamp first, then "{namespace}/{name}" alphabetical.
    /// </summary>
    public static readonly IComparer<KubeObject> OldestFirst = Comparer<KubeObject>.Create((a, b) =>
        CompareAge(a.Metadata.CreationTimestamp, b.Metadata.CreationTimestamp) is var c and not 0 ? c : string.CompareOrdinal(a.Key, b.Key));

    private static int CompareAge(AnalyzedRoute a, AnalyzedRoute b) => CompareAge(a.Created, b.Created);

    /// <summary>Older first; an object without a creationTimestamp (e.g. from a file) counts as newest.</summary>
    private static int CompareAge(DateTimeOffset? a, DateTimeOffset? b) => (a, b) switch
    {
        ({ } x, { } y) => x.CompareTo(y),
        (null, null) => 0,
        (null, _) => 1,
        _ => -1,
    };

    private static string Stamp(AnalyzedRoute r) => Stamp(r.Created);

    /// <summary>A creationTimestamp as the tie-break messages show it ("unset" when there is none).</summary>
    internal static string Stamp(DateTimeOffset? created) =>
        created?.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture) ?? "unset";

    private static int PathRank(MatchPolicy m) => m.PathType switch
    {
        PathMatchType.Exact => 0,
        PathMatchType.RegularExpression => 1,
        _ => 2,
    };

    /// <summary>Characters of the path value; a PathPrefix without its trailing "/" (E3), "/" counting 1.</summary>
    private static int PathLength(MatchPolicy m)
    {
        var v = m.PathValue ?? "/";
        return m.PathType == PathMatchType.PathPrefix ? Math.Max(1, v.TrimEnd('/').Length) : v.Length;
    }
}
