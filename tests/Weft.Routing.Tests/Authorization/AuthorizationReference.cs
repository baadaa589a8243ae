using System.Text.RegularExpressions;
using Weft.Api.Model;
using Weft.Routing.Authorization;

namespace Weft.Routing.Tests.Authorization;

/// <summary>
/// Issue 14's evaluation written out plainly from the API objects (AuthorizationPolicy, Pod, Service), for Pod and Service
/// targets: no compiled form, no shared matcher. The property tests hold the planner to it.
/// </summary>
internal static class AuthorizationReference
{
    public static (AuthorizationVerdict Verdict, string? Policy, int? Rule) Decide(
        MeshSnapshot world, Pod pod, AuthorizationRequest request, (string Name, string Value)[] headers, string meshDefault, string trustDomain = MeshModel.DefaultTrustDomain)
    {
        // An l4 pod decides every request as its connection (L7RuleOnL4Workload: its policy applies at L4 only).
        if (MeshLevels.Of(pod) == MeshLevels.L4)
        {
            request = new AuthorizationRequest(request.PeerIdentity, request.Port);
        }

        // DENY and ALLOW rules count only in their policy's scope; but any ALLOW that targets the pod at all makes it deny
        // what no ALLOW rule allows.
        var ours = world.AuthorizationPolicies.Where(p => p.Namespace == pod.Namespace).OrderBy(p => p.Name, StringComparer.Ordinal).ToList();
        var applying = ours.Where(p => p.Spec.TargetRefs.Any(t => Covers(world, p, t, pod, request.Port))).ToList();
        var targeting = ours.Where(p => p.Spec.TargetRefs.Any(t => Covers(world, p, t, pod, port: null))).ToList();
        foreach (var p in applying.Where(p => p.Spec.Action == AuthorizationAction.Deny))
        {
            for (var i = 0; i < p.Spec.Rules.Count; i++)
            {
                if (RuleMatches(p.Spec.Rules[i], deny: true, request, headers, trustDomain))
                {
                    return (AuthorizationVerdict.DeniedByPolicy, p.Key, i);
                }
            }
        }

        var allow = applying.Where(p => p.Spec.Action == AuthorizationAction.Allow).ToList();
        foreach (var p in allow)
        {
            for (var i = 0; i < p.Spec.Rules.Count; i++)
            {
                if (RuleMatches(p.Spec.Rules[i], deny: false, request, headers, trustDomain))
                {
                    return (AuthorizationVerdict.AllowedByPolicy, p.Key, i);
                }
            }
        }

        if (targeting.Any(p => p.Spec.Action == AuthorizationAction.Allow))
        {
            return (AuthorizationVerdict.NotAllowedByPolicy, null, null);
        }

        var id = request.PeerIdentity;
        var admitted = meshDefault switch
        {
            DefaultInboundPolicies.AllUnauthenticated => true,
            DefaultInboundPolicies.AllAuthenticated => id is not null && id.StartsWith($"spiffe://{trustDomain}/", StringComparison.Ordinal) && id.Length > $"spiffe://{trustDomain}/".Length,
            DefaultInboundPolicies.SameNamespace => id is not null && IsServiceAccountOf(id, trustDomain, pod.Namespace),
            _ => false,
        };
        return (admitted ? AuthorizationVerdict.AllowedByDefault : AuthorizationVerdict.DeniedByDefault, null, null);
    }

    /// <summary>Whether the target is accepted and covers this pod and port.</summary>
    private static bool Covers(MeshSnapshot world, AuthorizationPolicy policy, AuthorizationTargetReference target, Pod pod, int? port)
    {
        List<Pod> selected;
        var ports = new HashSet<int>();
        if (target.Kind == "Pod")
        {
            selected = [.. world.Pods.Where(p => p.Namespace == policy.Namespace && target.Selector!.MatchLabels.All(l => p.Metadata.Labels.GetValueOrDefault(l.Key) == l.Value))];
        }
        else
        {
            var svc = world.Services.FirstOrDefault(s => s.Namespace == policy.Namespace && s.Name == target.Name);
            if (svc is null)
            {
                return false;
            }

            selected = [.. world.Pods.Where(p => p.Namespace == policy.Namespace && svc.Spec.Selector!.All(l => p.Metadata.Labels.GetValueOrDefault(l.Key) == l.Value))];
            ports.UnionWith(svc.Spec.Ports.Select(p => p.TargetPort.Number ?? p.Port));
        }

        // (An L7 rule on an l4 pod is reported, and the policy applies all the same.)
        return selected.Any(p => p.Key == pod.Key) && (target.Kind == "Pod" || port is not int p || ports.Contains(p));
    }

    private static bool RuleMatches(AuthorizationRule rule, bool deny, AuthorizationRequest request, (string Name, string Value)[] headers, string trustDomain)
    {
        var id = request.PeerIdentity;
        if (rule.Sources is { } sources && (id is null || !sources.Any(s => SourceMatches(s, id, trustDomain))))
        {
            return false;
        }

        if (rule.NetworkAttributes is { Ports.Count: > 0 } net && !net.Ports.Contains(request.Port))
        {
            return false;
        }

        var http = rule.Http ?? new AuthorizationHttpAttributes();
        var grpc = rule.Grpc ?? new AuthorizationGrpcAttributes();
        var l7 = http.Methods.Count + http.Paths.Count + http.Headers.Count > 0 || grpc.Service is not null || grpc.Method is not null;
        if (!l7)
        {
            return true;
        }

        if (request.Method is null)
        {
            return deny;
        }

        var path = Canonical(request.Path!);
        if (http.Methods.Count > 0 && !http.Methods.Contains(request.Method, StringComparer.OrdinalIgnoreCase))
        {
            return false;
        }

        if (http.Paths.Count > 0 && !http.Paths.Any(p => PathMatches(p, path)))
        {
            return false;
        }

        if (http.Headers.Count > 0 && !http.Headers.All(h => headers.Any(x => string.Equals(x.Name, h.Name, StringComparison.OrdinalIgnoreCase) && ValueMatches(h.Type, h.Value, x.Value))))
        {
            return false;
        }

        if (grpc.Service is not null || grpc.Method is not null)
        {
            var parts = path.Split('/');
            if (!request.IsGrpc || parts.Length != 3 || parts[0] != "" || parts[1] == "" || parts[2] == "")
            {
                return false;
            }

            return (grpc.Service is null || grpc.Service == parts[1]) && (grpc.Method is null || grpc.Method == parts[2]);
        }

        return true;
    }

    /// <summary>docs/authorization.md's canonical path: encoded slashes decoded, slashes merged, dot segments removed.</summary>
    private static string Canonical(string path)
    {
        var decoded = Regex.Replace(path, "%2[fF]|%5[cC]", "/").Replace('\\', '/');
        var stack = new List<string>();
        foreach (var segment in decoded.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (segment == "..")
            {
                if (stack.Count > 0)
                {
                    stack.RemoveAt(stack.Count - 1);
                }
            }
            else if (segment != ".")
            {
                stack.Add(segment);
            }
        }

        var trailing = stack.Count > 0 && (decoded.EndsWith('/') || decoded.EndsWith("/.", StringComparison.Ordinal) || decoded.EndsWith("/..", StringComparison.Ordinal));
        return "/" + string.Join('/', stack) + (trailing ? "/" : "");
    }

    private static bool SourceMatches(AuthorizationSource s, string id, string trustDomain) => s.Type switch
    {
        AuthorizationSourceType.Spiffe => s.Spiffe == id,
        _ when s.ServiceAccount!.Name == "*" => IsServiceAccountOf(id, trustDomain, s.ServiceAccount.Namespace),
        _ => id == $"spiffe://{trustDomain}/ns/{s.ServiceAccount!.Namespace}/sa/{s.ServiceAccount.Name}",
    };

    private static bool IsServiceAccountOf(string id, string trustDomain, string ns)
    {
        var prefix = $"spiffe://{trustDomain}/ns/{ns}/sa/";
        return id.StartsWith(prefix, StringComparison.Ordinal) && id.Length > prefix.Length && !id[prefix.Length..].Contains('/', StringComparison.Ordinal);
    }

    /// <summary>Gamma-spec E3: Exact; PathPrefix by whole segments, a trailing "/" ignored; RegularExpression over the whole path.</summary>
    private static bool PathMatches(HttpPathMatch m, string path) => m.Type switch
    {
        PathMatchType.Exact => path == m.Value,
        PathMatchType.PathPrefix => m.Value.TrimEnd('/') is var prefix && path.StartsWith('/') && (path == prefix || path.StartsWith(prefix + "/", StringComparison.Ordinal)),
        _ => ValueMatches(HeaderMatchType.RegularExpression, m.Value, path),
    };

    private static bool ValueMatches(string type, string expected, string actual) =>
        type == HeaderMatchType.Exact ? expected == actual : Regex.IsMatch(actual, $"^(?:{expected})$", RegexOptions.None, TimeSpan.FromSeconds(1));
}
