using Weft.Routing.Policy;

namespace Weft.Routing.Internal;

/// <summary>One rule of a route, compiled into policy pieces, or the problem that drops it (gamma-spec H2 "Dropped Rule").</summary>
internal sealed class AnalyzedRule
{
    public required int Index { get; init; }
    public string? Name { get; init; }
    public Problem? Problem { get; init; }
    public IReadOnlyList<MatchPolicy> Matches { get; init; } = [];
    public IReadOnlyList<FilterPolicy> Filters { get; init; } = [];

    /// <summary>Weighted backends with weight &gt; 0 (F2); invalid ones carry <see cref="BackendPolicy.Invalid"/>.</summary>
    public IReadOnlyList<BackendPolicy> Backends { get; init; } = [];
    public TimeoutPolicy? Timeouts { get; init; }
    public RetryPolicy? Retry { get; init; }

    /// <summary>TLSRoute SNI hostnames.</summary>
    public IReadOnlyList<string> Hostnames { get; init; } = [];

    public string Display => Name is null ? $"rules[{Index}]" : $"rules[{Index}] \"{Name}\"";
}
