using Weft.Routing.Policy;

namespace Weft.Proxy.Tests.Http1;

/// <summary>
/// Policy pieces for the outbound fast-path tests, beside <see cref="Infrastructure.Policies"/>: backends whose
/// endpoints are raw ports (a <see cref="ScriptedApp"/>, or target ports a scripted peer sidecar only reads from
/// <c>weft-dst-port</c>), matches on headers, and rules with their own names (metric labels).
/// </summary>
public static class OutboundPolicies
{
    /// <summary>A backend <c>default/name:80</c> whose endpoints are 127.0.0.1 at <paramref name="targetPorts"/>.</summary>
    public static BackendPolicy Backend(string name, int weight, params int[] targetPorts) => new()
    {
        Namespace = "default",
        Name = name,
        Port = 80,
        Weight = weight,
        Endpoints = [.. targetPorts.Select(p => new EndpointPolicy { Address = "127.0.0.1", Port = p, Pod = $"default/{name}" })],
    };

    public static BackendPolicy Backend(string name, ScriptedApp app, int weight = 1) => Backend(name, weight, app.Port);

    /// <summary>A PathPrefix match that also requires header <paramref name="name"/> to equal <paramref name="value"/>.</summary>
    public static MatchPolicy Header(string name, string value, string prefix = "/") => new()
    {
        PathType = "PathPrefix",
        PathValue = prefix,
        Headers = [new ValueMatchPolicy { Type = "Exact", Name = name, Value = value }],
    };

    /// <summary>A PathPrefix match that also requires query parameter <paramref name="name"/> to equal <paramref name="value"/>.</summary>
    public static MatchPolicy Query(string name, string value, string prefix = "/") => new()
    {
        PathType = "PathPrefix",
        PathValue = prefix,
        QueryParams = [new ValueMatchPolicy { Type = "Exact", Name = name, Value = value }],
    };

    /// <summary><paramref name="rule"/> as rule <paramref name="ruleName"/> of HTTPRoute default/routes.</summary>
    public static RulePolicy Named(RulePolicy rule, string ruleName, int ruleIndex = 0) => rule with
    {
        Origin = new RuleOrigin { RouteKind = "HTTPRoute", RouteNamespace = "default", RouteName = "routes", RuleIndex = ruleIndex, RuleName = ruleName, MatchIndex = 0 },
    };

    /// <summary>
    /// An app that answers every request 200 with <c>name target host=…</c>: which app it reached, the target it saw
    /// and its Host (no Date header of its own, so a response without one came back through the fast path only).
    /// </summary>
    public static ScriptedApp App(string name) => ScriptedApp.Start(r => ScriptedReply.Ok($"{name} {r.Target} host={r.Header("Host")}"));

    /// <summary>A peer sidecar's inbound listener, played by a script: answers 200 with the <c>weft-dst-port</c> and target it saw.</summary>
    public static ScriptedApp Peer() => ScriptedApp.Start(r => ScriptedReply.Ok($"port={r.Header("weft-dst-port")} {r.Target}"));
}
