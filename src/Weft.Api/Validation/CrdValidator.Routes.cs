using System.Net;
using Weft.Api.Model;

namespace Weft.Api.Validation;

/// <summary>What every route kind shares: parentRefs, backendRefs, hostnames and rule names.</summary>
internal static partial class CrdValidator
{
    private const string SameParentNeedsSection = "sectionName or port must be specified when parentRefs includes 2 or more references to the same parent";
    private const string SameParentNeedsUnique = "sectionName or port must be unique when parentRefs includes 2 or more references to the same parent";

    private static void ParentRefs(FieldErrors errors, IReadOnlyList<ParentReference> refs)
    {
        const string path = "spec.parentRefs";
        errors.MaxItems(path, refs, 32);
        for (var i = 0; i < refs.Count; i++)
        {
            var p = refs[i];
            var item = $"{path}[{i}]";
            errors.String($"{item}.group", p.Group, 0, 253, Patterns.Group);
            errors.String($"{item}.kind", p.Kind, 1, 63, Patterns.Kind);
            errors.String($"{item}.namespace", p.Namespace, 1, 63, Patterns.Namespace);
            errors.String($"{item}.name", p.Name, 1, 253);
            errors.String($"{item}.sectionName", p.SectionName, 1, 253, Patterns.SectionName);
            errors.Range($"{item}.port", p.Port, 1, 65535);
        }

        // gamma-spec A6 (experimental CRD): refs to the same parent must all, or none, set sectionName and port ...
        var sameParent = false;
        var mixed = false;
        var duplicate = false;
        for (var i = 0; i < refs.Count; i++)
        {
            var matches = 0;
            for (var j = 0; j < refs.Count; j++)
            {
                if (!SameParent(refs[i], refs[j]))
                {
                    continue;
                }

                if (i != j)
                {
                    sameParent = true;
                }

                if (IsEmpty(refs[i].SectionName) != IsEmpty(refs[j].SectionName) || IsEmpty(refs[i].Port) != IsEmpty(refs[j].Port))
                {
                    mixed = true;
                }

                // ... and each (sectionName, port) pair must be unique among them.
                if ((IsEmpty(refs[i].SectionName) ? IsEmpty(refs[j].SectionName) : refs[i].SectionName == refs[j].SectionName)
                    && (IsEmpty(refs[i].Port) ? IsEmpty(refs[j].Port) : refs[i].Port == refs[j].Port))
                {
                    matches++;
                }
            }

            duplicate |= matches != 1;
        }

        if (sameParent && mixed)
        {
            errors.Rule(path, SameParentNeedsSection, "give every reference to that parent a distinct port (or sectionName), or merge them into one", "array");
        }

        if (duplicate)
        {
            errors.Rule(path, SameParentNeedsUnique, "remove the repeated reference, or give each one a different port (or sectionName)", "array");
        }
    }

    private static bool IsEmpty(string? s) => string.IsNullOrEmpty(s);

    private static bool IsEmpty(int? port) => port is null or 0;

    private static bool SameParent(ParentReference a, ParentReference b) =>
        a.Group == b.Group && a.Kind == b.Kind && a.Name == b.Name
        && ((IsEmpty(a.Namespace) && IsEmpty(b.Namespace)) || (!IsEmpty(a.Namespace) && a.Namespace == b.Namespace));

    /// <summary>A BackendObjectReference plus weight (BackendRef).</summary>
    private static void BackendRef(FieldErrors errors, string path, BackendRef b, bool withWeight = true)
    {
        errors.String($"{path}.group", b.Group, 0, 253, Patterns.Group);
        errors.String($"{path}.kind", b.Kind, 1, 63, Patterns.Kind);
        errors.String($"{path}.namespace", b.Namespace, 1, 63, Patterns.Namespace);
        errors.String($"{path}.name", b.Name, 1, 253);
        errors.Range($"{path}.port", b.Port, 1, 65535);
        if (withWeight)
        {
            errors.Range($"{path}.weight", b.Weight, 0, 1_000_000);
        }

        // gamma-spec F1 (CEL): a core Service reference needs the Service port. The CEL names the empty group only, so a
        // "core" alias without a port passes here as it passes the API server, and Routing reports it (BackendNotFound).
        if (b.Group == CoreServiceRef.Group && b.Kind == CoreServiceRef.Kind && b.Port is null)
        {
            errors.Rule(path, "Must have port for Service reference", $"set port to the Service port to send to (spec.ports[].port of Service {b.Name}, not its targetPort)");
        }
    }

    /// <summary>Route hostnames (HTTPRoute, GRPCRoute): at most 16 Gateway API Hostnames.</summary>
    private static void Hostnames(FieldErrors errors, IReadOnlyList<string> hostnames, int max)
    {
        errors.MaxItems("spec.hostnames", hostnames, max);
        for (var i = 0; i < hostnames.Count; i++)
        {
            errors.String($"spec.hostnames[{i}]", hostnames[i], 1, 253, Patterns.Hostname);
        }
    }

    /// <summary>Experimental CRDs: "Rule name must be unique within the route"; each name is a SectionName.</summary>
    private static void RuleNames(FieldErrors errors, IReadOnlyList<string?> names)
    {
        for (var i = 0; i < names.Count; i++)
        {
            errors.String($"spec.rules[{i}].name", names[i], 1, 253, Patterns.SectionName);
        }

        var named = names.Where(n => n is not null).ToList();
        if (named.Count != named.Distinct(StringComparer.Ordinal).Count())
        {
            var repeated = named.GroupBy(n => n, StringComparer.Ordinal).First(g => g.Count() > 1).Key!;
            errors.Rule("spec.rules", "Rule name must be unique within the route", $"rename one of the rules named \"{repeated}\"", "array");
        }
    }

    /// <summary>"While 16 rules and 64 matches per rule are allowed, ..." (HTTPRoute and GRPCRoute).</summary>
    private static void TotalMatches(FieldErrors errors, int total)
    {
        if (total > 128)
        {
            errors.Rule("spec.rules",
                "While 16 rules and 64 matches per rule are allowed, the total number of matches across all rules in a route must be less than 128",
                $"the route has {total} matches; split it into several routes", "array");
        }
    }

    private static void TcpRoute(FieldErrors errors, TcpRoute route)
    {
        // gamma-spec K2: v1 has exactly one rule; v1alpha2 allows 1..16 with unique names.
        ParentRefs(errors, route.Spec.ParentRefs);
        L4Rules(errors, route.Spec.Rules, route.ApiVersion.EndsWith("/v1alpha2", StringComparison.Ordinal) ? 16 : 1);
    }

    private static void TlsRoute(FieldErrors errors, TlsRoute route)
    {
        // gamma-spec K3: hostnames (SNI) are required in v1 and v1alpha3, 1..1024, no IPs, wildcard only as the first label.
        ParentRefs(errors, route.Spec.ParentRefs);
        var alpha2 = route.ApiVersion.EndsWith("/v1alpha2", StringComparison.Ordinal);
        var hostnames = route.Spec.Hostnames;
        if (!alpha2)
        {
            errors.MinItems("spec.hostnames", hostnames, 1);
        }

        Hostnames(errors, hostnames, 1024);
        if (!alpha2)
        {
            if (hostnames.Any(IsIp))
            {
                errors.Rule("spec.hostnames", "Hostnames cannot contain an IP", "use DNS names (SNI); TLS clients do not send an IP address as SNI", "array");
            }

            if (hostnames.Any(h => !h.Contains('*', StringComparison.Ordinal) && !Patterns.PreciseHostname.IsMatch(h)))
            {
                errors.Rule("spec.hostnames", "Hostnames must be valid based on RFC-1123", "use lowercase DNS names such as foo.example.com", "array");
            }

            if (hostnames.Any(h => h.Contains('*', StringComparison.Ordinal) && !(h.StartsWith("*.", StringComparison.Ordinal) && Patterns.PreciseHostname.IsMatch(h[2..]))))
            {
                errors.Rule("spec.hostnames", "Wildcards on hostnames must be the first label, and the rest of hostname must be valid based on RFC-1123",
                    "write a wildcard as *.example.com", "array");
            }
        }

        L4Rules(errors, route.Spec.Rules, route.ApiVersion.EndsWith("/v1", StringComparison.Ordinal) || route.ApiVersion.EndsWith("/v1alpha3", StringComparison.Ordinal) ? 1 : 16);
    }

    private static void L4Rules(FieldErrors errors, IReadOnlyList<L4RouteRule> rules, int maxRules)
    {
        errors.MinItems("spec.rules", rules, 1);
        errors.MaxItems("spec.rules", rules, maxRules);
        RuleNames(errors, [.. rules.Select(r => r.Name)]);
        for (var i = 0; i < rules.Count; i++)
        {
            var path = $"spec.rules[{i}].backendRefs";
            errors.MinItems(path, rules[i].BackendRefs, 1);
            errors.MaxItems(path, rules[i].BackendRefs, 16);
            for (var j = 0; j < rules[i].BackendRefs.Count; j++)
            {
                BackendRef(errors, $"{path}[{j}]", rules[i].BackendRefs[j]);
            }
        }
    }

    /// <summary>CEL isIP: a dotted-quad IPv4 or an IPv6 address (not the short forms .NET also accepts, like "1").</summary>
    private static bool IsIp(string s) =>
        IPAddress.TryParse(s, out var ip)
        && (ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 || s.Count(c => c == '.') == 3);
}
