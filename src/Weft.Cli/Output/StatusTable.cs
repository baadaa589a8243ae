using Weft.Api.Model;
using Weft.Routing;
using Weft.Routing.Authorization;

namespace Weft.Cli.Output;

/// <summary>The readable form of route statuses: one block per route, one line per parent and condition.</summary>
internal static class StatusTable
{
    public static void Write(TextWriter w, IReadOnlyList<RouteStatus> statuses)
    {
        if (statuses.Count == 0)
        {
            w.WriteLine("No routes found.");
            return;
        }

        foreach (var status in statuses)
        {
            w.WriteLine($"{status.Kind} {status.Namespace}/{status.Name} (generation {status.Generation})");
            if (status.Parents.Count == 0)
            {
                w.WriteLine("  no Service parentRef: not a mesh route, Weft leaves it alone");
            }

            foreach (var parent in status.Parents)
            {
                w.WriteLine($"  parent {Describe(parent.ParentRef, status.Namespace)}");
                foreach (var c in parent.Conditions)
                {
                    var mark = c.Type == "PartiallyInvalid" ? (c.Status == "True" ? "!" : " ") : (c.Status == "True" ? "✓" : "✗");
                    w.WriteLine($"    {mark} {c.Type,-16} {c.Status,-7} {c.Reason,-18} {c.Message}");
                }
            }
        }
    }

    /// <summary>AuthorizationPolicies: one block per policy, one line per target and condition, and the pods a target applies to.</summary>
    public static void Write(TextWriter w, IReadOnlyList<AuthorizationPolicyStatus> policies)
    {
        foreach (var policy in policies)
        {
            w.WriteLine($"{AuthorizationPolicy.KindName} {policy.Namespace}/{policy.Name} (generation {policy.Generation})");
            foreach (var target in policy.Targets)
            {
                var t = target.TargetRef;
                var what = t.Name is null ? $"{t.Kind} selector" : $"{t.Kind} {policy.Namespace}/{t.Name}";
                w.WriteLine($"  target {what}{(t.SectionName is null ? "" : $" section {t.SectionName}")}");
                foreach (var c in target.Conditions)
                {
                    w.WriteLine($"    {(c.Status == "True" ? "✓" : "✗")} {c.Type,-16} {c.Status,-7} {c.Reason,-18} {c.Message}");
                }

                if (target.Pods.Count > 0)
                {
                    w.WriteLine($"    pods: {string.Join(", ", target.Pods)}");
                }
            }
        }
    }

    internal static string Describe(ParentReference p, string routeNamespace)
    {
        var kind = CoreServiceRef.IsCoreGroup(p.Group) ? p.Kind : $"{p.Kind}.{p.Group}";
        var text = $"{kind} {p.Namespace ?? routeNamespace}/{p.Name}";
        if (p.SectionName is not null)
        {
            text += $" section {p.SectionName}";
        }

        if (p.Port is int port)
        {
            text += $" port {port}";
        }

        return text;
    }
}
