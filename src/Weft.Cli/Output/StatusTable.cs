using Weft.Api.Model;
using Weft.Routing;
using Weft.Routing.Authorization;
using Weft.Routing.Backends;

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
                WriteConditions(w, target.Conditions);

                if (target.Pods.Count > 0)
                {
                    w.WriteLine($"    pods: {string.Join(", ", target.Pods)}");
                }
            }
        }
    }

    /// <summary>XBackends: one block each, a line per parent (a Service of the mesh routes that refer to it) and condition.</summary>
    public static void Write(TextWriter w, IReadOnlyList<XBackendStatus> backends)
    {
        foreach (var backend in backends)
        {
            w.WriteLine($"{XBackend.KindName} {backend.Namespace}/{backend.Name} (generation {backend.Generation})");
            if (backend.Parents.Count == 0)
            {
                w.WriteLine(NotReferenced);
            }

            foreach (var parent in backend.Parents)
            {
                w.WriteLine($"  parent {Describe(parent.ParentRef, backend.Namespace)}");
                WriteConditions(w, parent.Conditions);
            }
        }
    }

    /// <summary>BackendTLSPolicies and XBackendTrafficPolicies: one block per policy, a line per target (its ancestor) and condition.</summary>
    public static void Write(TextWriter w, IReadOnlyList<BackendPolicyStatus> policies)
    {
        foreach (var policy in policies)
        {
            w.WriteLine($"{policy.Kind} {policy.Namespace}/{policy.Name} (generation {policy.Generation})");
            foreach (var ancestor in policy.Ancestors)
            {
                w.WriteLine($"  target {Describe(ancestor.AncestorRef, policy.Namespace)}");
                WriteConditions(w, ancestor.Conditions);
            }
        }
    }

    /// <summary>What an XBackend without parents shows: no mesh route refers to it (the CRD's "not associated with any parents").</summary>
    internal const string NotReferenced = "  no mesh route refers to it";

    /// <summary>A policy's or XBackend's conditions, one line each, ✓ for True.</summary>
    internal static void WriteConditions(TextWriter w, IEnumerable<(string Type, string Status, string Reason, string Message)> conditions)
    {
        foreach (var (type, status, reason, message) in conditions)
        {
            w.WriteLine($"    {(status == "True" ? "✓" : "✗")} {type,-16} {status,-7} {reason,-18} {message}");
        }
    }

    private static void WriteConditions(TextWriter w, IReadOnlyList<RouteCondition> conditions) =>
        WriteConditions(w, conditions.Select(c => (c.Type, c.Status, c.Reason, c.Message)));

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
