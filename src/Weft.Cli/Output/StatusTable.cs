using Weft.Api.Model;
using Weft.Routing;

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
