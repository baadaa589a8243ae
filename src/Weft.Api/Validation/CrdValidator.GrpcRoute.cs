using Weft.Api.Model;

namespace Weft.Api.Validation;

/// <summary>GRPCRoute (gamma-spec K1): limits, method match CEL, GRPC filters.</summary>
internal static partial class CrdValidator
{
    private static void GrpcRoute(FieldErrors errors, GrpcRoute route)
    {
        var spec = route.Spec;
        ParentRefs(errors, spec.ParentRefs);
        Hostnames(errors, spec.Hostnames, 16);
        errors.MaxItems("spec.rules", spec.Rules, 16);
        TotalMatches(errors, spec.Rules.Sum(r => r.Matches.Count));
        RuleNames(errors, [.. spec.Rules.Select(r => r.Name)]);
        for (var i = 0; i < spec.Rules.Count; i++)
        {
            var rule = spec.Rules[i];
            var path = $"spec.rules[{i}]";
            errors.MaxItems($"{path}.matches", rule.Matches, 64);
            for (var j = 0; j < rule.Matches.Count; j++)
            {
                var match = rule.Matches[j];
                if (match.Method is { } method)
                {
                    GrpcMethod(errors, $"{path}.matches[{j}].method", method);
                }

                HeaderMatches(errors, $"{path}.matches[{j}].headers", match.Headers);
            }

            Filters(errors, $"{path}.filters", rule.Filters, grpc: true);
            errors.MaxItems($"{path}.backendRefs", rule.BackendRefs, 16);
            for (var j = 0; j < rule.BackendRefs.Count; j++)
            {
                BackendRef(errors, $"{path}.backendRefs[{j}]", rule.BackendRefs[j]);
                Filters(errors, $"{path}.backendRefs[{j}].filters", rule.BackendRefs[j].Filters, grpc: true);
            }
        }
    }

    private static void GrpcMethod(FieldErrors errors, string path, GrpcMethodMatch m)
    {
        errors.Enum($"{path}.type", m.Type, MatchTypes);
        errors.String($"{path}.service", m.Service, 0, 1024);
        errors.String($"{path}.method", m.Method, 0, 1024);

        // type defaults to Exact, so the CEL "has(self.type)" always holds.
        if (m.Service is null && m.Method is null)
        {
            errors.Rule(path, "One or both of 'service' or 'method' must be specified", "set service (e.g. grpc.health.v1.Health), method (e.g. Check), or both");
        }

        if (m.Type == HeaderMatchType.Exact && m.Service is { } service && !Patterns.GrpcService.IsMatch(service))
        {
            errors.Rule(path, $"service must only contain valid characters (matching {Patterns.GrpcServiceText})",
                "write the fully qualified service name, e.g. package.Service, or use type RegularExpression");
        }

        if (m.Type == HeaderMatchType.Exact && m.Method is { } name && !Patterns.GrpcMethod.IsMatch(name))
        {
            errors.Rule(path, $"method must only contain valid characters (matching {Patterns.GrpcMethodText})",
                "write just the method name, e.g. Check, or use type RegularExpression");
        }
    }
}
