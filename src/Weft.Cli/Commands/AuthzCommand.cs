using System.CommandLine;
using System.Globalization;
using Weft.Cli.Local;
using Weft.Routing;
using Weft.Routing.Authorization;
using Weft.Routing.Policy;

namespace Weft.Cli.Commands;

/// <summary>
/// <c>weft authz NAMESPACE/DEPLOYMENT PATH...</c> (as <c>linkerd authz</c>): the AuthorizationPolicies that apply to a
/// workload's pods with their effective rules, in the order the sidecar evaluates them, and the default inbound policy
/// that decides the rest; then the policies of the namespace that target the workload's pods and are not applied, with
/// why. What is printed is the compiled inbound policy discovery sends the sidecar (<see cref="MeshModel.CompileInbound"/>).
/// </summary>
internal static class AuthzCommand
{
    public static Command Create()
    {
        var workload = new Argument<string>("WORKLOAD") { Description = "The workload: NAMESPACE/DEPLOYMENT" };
        var paths = new Argument<string[]>("PATH") { Arity = ArgumentArity.OneOrMore, Description = "Manifest files or directories" };
        var defaultPolicy = DefaultInboundOption.Create();
        var command = new Command("authz", "List the authorization policies that apply to a workload, and its default") { workload, paths, defaultPolicy };
        command.SetAction(parse => Run(parse.GetValue(workload)!, parse.GetValue(paths)!, parse.GetValue(defaultPolicy)!, TerminalText.Writer(Console.Out), TerminalText.Writer(Console.Error)));
        return command;
    }

    internal static int Run(string workload, IReadOnlyList<string> paths, string defaultInboundPolicy, TextWriter stdout, TextWriter stderr)
    {
        var slash = workload.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == workload.Length - 1)
        {
            stderr.WriteLine($"error: '{workload}' is not NAMESPACE/DEPLOYMENT");
            return 2;
        }

        if (DefaultInboundOption.Parse(defaultInboundPolicy, stderr) is not { } meshDefault)
        {
            return 2;
        }

        var input = ManifestInput.Load(paths, stderr);
        if (input.Unreadable)
        {
            return 2;
        }

        var (ns, deployment) = (workload[..slash], workload[(slash + 1)..]);
        var cluster = AdmittedCluster.Admit(input.Objects, new Random(1), meshDefault);
        var pods = cluster.Pods.Where(p => p.Pod.Namespace == ns && p.Deployment == deployment).Select(p => p.Pod).ToList();
        if (pods.Count == 0)
        {
            stderr.WriteLine($"error: no Deployment {workload} in the manifests");
            return 2;
        }

        // Every replica has the same template, so the same inbound policy: print one, name them all.
        var model = cluster.Model;
        var policy = model.CompileInbound(ns, pods[0].Name)!;
        stdout.WriteLine($"workload: {workload} ({pods.Count} pod{(pods.Count == 1 ? "" : "s")}, identity {model.IdentityOf(pods[0])}, level {policy.Level})");
        stdout.WriteLine($"default:  {policy.DefaultPolicy}: {DefaultInboundPolicies.Describe(policy.DefaultPolicy, ns)}");
        if (policy.Policies.Count == 0)
        {
            stdout.WriteLine("policies: none apply: the default decides every request and connection");
        }

        foreach (var entry in policy.Policies)
        {
            stdout.WriteLine($"{entry.Action,-5} {ns}/{entry.Name}{Scope(entry.Scope)}");
            if (entry.Rules.Count == 0)
            {
                stdout.WriteLine(entry.Action == Weft.Api.Model.AuthorizationAction.Allow
                    ? "  no rules: allows nothing"
                    : "  no rules: denies nothing");
            }

            foreach (var rule in entry.Rules)
            {
                stdout.WriteLine($"  rule {rule.Index.ToString(CultureInfo.InvariantCulture)}: {Rule(rule)}");
            }

            // L7RuleOnL4Workload is the one not-Accepted reason with which a policy applies: say how, not that it does not.
            if (policy.Level == MeshLevels.L4 && entry.Rules.Any(r => r.HasL7))
            {
                stdout.WriteLine("  at L4 on this l4 workload (L7RuleOnL4Workload): a DENY rule matches on its other parts, an ALLOW rule with HTTP or gRPC parts never matches");
            }
        }

        var podKeys = pods.Select(p => p.Key).ToHashSet(StringComparer.Ordinal);
        foreach (var status in model.AuthorizationStatuses.Where(s => s.Namespace == ns))
        {
            foreach (var target in status.Targets)
            {
                var accepted = target.Conditions.FirstOrDefault(c => c.Type == AuthorizationConditions.Accepted);
                if (accepted is { Status: RouteConditions.False } && accepted.Reason != AuthorizationConditions.L7RuleOnL4Workload
                    && Names(target, deployment, podKeys))
                {
                    stdout.WriteLine($"not applied: {ns}/{status.Name} target {Target(target.TargetRef)}: {accepted.Reason}: {accepted.Message}");
                }
            }
        }

        return 0;
    }

    /// <summary>Whether a target that applies to no pod was meant for this workload: it names its pods, or it names nothing resolvable.</summary>
    private static bool Names(AuthorizationTargetStatus target, string deployment, HashSet<string> pods) =>
        target.Pods.Any(pods.Contains) || target.Pods.Count == 0 || target.TargetRef.Name == deployment;

    private static string Target(Weft.Api.Model.AuthorizationTargetReference t) => t.Kind switch
    {
        "Pod" => "Pod selector",
        _ when !string.IsNullOrEmpty(t.SectionName) => $"{t.Kind} {t.Name} section {t.SectionName}",
        _ => $"{t.Kind} {t.Name}",
    };

    private static string Scope(AuthorizationScope? scope)
    {
        if (scope is null)
        {
            return ": every request and connection to the workload";
        }

        var ports = scope.Ports.Count == 0 ? "any port" : "port " + string.Join(", ", scope.Ports);
        var target = scope.SectionName is null ? $"{scope.TargetKind} {scope.TargetName}" : $"{scope.TargetKind} {scope.TargetName} rule {scope.SectionName}";
        return scope.Matches.Count == 0
            ? $": requests and connections to {target} ({ports})"
            : $": requests matching {target} ({ports}; {string.Join(" or ", scope.Matches.Select(Explanation.Describe))})";
    }

    private static string Rule(AuthorizationRulePolicy rule)
    {
        var parts = new List<string>
        {
            rule.Sources switch
            {
                null => "from any caller",
                [] => "from nobody",
                var sources => "from " + string.Join(" or ", sources.Select(s => s.Spiffe ?? $"service account {s.Namespace}/{s.ServiceAccount}")),
            },
        };
        if (rule.Ports.Count > 0)
        {
            parts.Add("port " + string.Join(" or ", rule.Ports));
        }

        if (rule.Methods.Count > 0)
        {
            parts.Add("method " + string.Join(" or ", rule.Methods));
        }

        if (rule.Paths.Count > 0)
        {
            parts.Add("path " + string.Join(" or ", rule.Paths.Select(p => $"{p.Type} {p.Value}")));
        }

        parts.AddRange(rule.Headers.Select(h => $"header {h.Name} {h.Type} {h.Value}"));
        if (rule.GrpcService is not null || rule.GrpcMethod is not null)
        {
            parts.Add($"gRPC {rule.GrpcService ?? "*"}/{rule.GrpcMethod ?? "*"}");
        }

        return string.Join(", ", parts);
    }
}
