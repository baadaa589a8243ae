using System.CommandLine;
using System.Text.Json.Nodes;
using Weft.Api.Model;
using Weft.Cli.Local;
using Weft.Cli.Output;
using Weft.ControlPlane.Kubernetes;
using Weft.Discovery;
using Weft.Routing;
using Weft.Routing.Authorization;
using Weft.Routing.Backends;

namespace Weft.Cli.Commands;

/// <summary>
/// <c>weft validate PATH...</c>: each route's, AuthorizationPolicy's, XBackend's, BackendTLSPolicy's and
/// XBackendTrafficPolicy's status exactly as Weft would write it (gamma-spec H), against the pods the manifests'
/// Deployments would run (<see cref="AdmittedCluster"/>: an AuthorizationPolicy's targets, the l4 workloads a route
/// names; their names are drawn as weft up draws them, so they differ from a live mesh's), every object the API server would reject, and every mesh
/// setting (<c>weft.dev/*</c> annotation or label) Weft skips: a value it does not know, or a place it does not read it
/// (<see cref="MeshSettingValues"/>). Exit 0: all routes, policies and XBackend parents Accepted with refs resolved; 1: some
/// are not, or some object or setting is invalid; 2: input cannot be read.
/// </summary>
public static class ValidateCommand
{
    public static Command Create()
    {
        var paths = new Argument<string[]>("PATH")
        {
            Arity = ArgumentArity.OneOrMore,
            Description = "Manifest files or directories (YAML or JSON), as kubectl apply -f takes them",
        };
        var output = new Option<string>("--output", "-o")
        {
            Description = "Output format: table (default), yaml or json",
            DefaultValueFactory = _ => "table",
        };
        output.AcceptOnlyFromAmong("table", "yaml", "json");

        var command = new Command("validate", "Show the status Weft would give each route, and every invalid object") { paths, output };
        command.SetAction(parse => Run(parse.GetValue(paths)!, parse.GetValue(output)!, Console.Out, Console.Error, TimeProvider.System));
        return command;
    }

    internal static int Run(IReadOnlyList<string> paths, string format, TextWriter stdout, TextWriter stderr, TimeProvider time)
    {
        var input = ManifestInput.Load(paths, stderr);
        if (input.Unreadable)
        {
            return 2;
        }

        // A mesh setting Weft skips (a value it does not know, or a place it does not read) changes nothing: nothing else would say so.
        var skippedSettings = 0;
        string[] unselected = [.. Install.InstallManifest.SystemNamespaces, WeftInstallation.DefaultNamespace];
        foreach (var obj in input.Objects)
        {
            foreach (var problem in MeshSettingValues.Skipped(obj))
            {
                stderr.WriteLine($"error: {obj.Kind} {obj.Key}: {problem}");
                skippedSettings++;
            }

            foreach (var warning in MeshSettingValues.Warnings(obj, unselected))
            {
                stderr.WriteLine($"warning: {obj.Kind} {obj.Key}: {warning}");
            }
        }

        // Statuses read pods (a policy's targets; the l4 workloads a route's Accepted message names), and manifests hold
        // Deployments: admit them as the local cluster would, so that the model has the pods weft up would run.
        MeshModel model;
        try
        {
            model = AdmittedCluster.Admit(input.Objects, new Random(1)).Model;
        }
        catch (InvalidOperationException e)
        {
            // More Services or pods than a local cluster has addresses for: weft up could not run them either.
            stderr.WriteLine($"warning: the Deployments' pods are left out of the statuses: {e.Message}");
            model = MeshModel.Build(MeshSnapshot.From(input.Objects));
        }

        var statuses = model.Statuses;
        var policies = model.AuthorizationStatuses;
        BackendPolicyStatus[] backendPolicies = [.. model.BackendTlsPolicyStatuses, .. model.BackendTrafficPolicyStatuses];
        switch (format)
        {
            case "json":
                stdout.WriteLine(Json(model, policies, time.GetUtcNow()).ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
                break;
            case "yaml":
                stdout.Write(YamlWriter.Write(Json(model, policies, time.GetUtcNow())));
                break;
            default:
                if (statuses.Count > 0 || policies.Count + model.XBackendStatuses.Count + backendPolicies.Length == 0)
                {
                    StatusTable.Write(stdout, statuses);
                }

                StatusTable.Write(stdout, policies);
                StatusTable.Write(stdout, model.XBackendStatuses);
                StatusTable.Write(stdout, backendPolicies);
                break;
        }

        // An XBackend no route refers to has no parents, and that is no fault (the CRD's "not associated").
        var allGood = statuses.All(s => s.Parents.Count > 0 && s.Parents.All(IsAcceptedAndResolved))
            && policies.All(p => p.Targets.All(t => AllTrue(t.Conditions)))
            && model.XBackendStatuses.All(x => x.Parents.All(p => AllTrue(p.Conditions)))
            && backendPolicies.All(p => p.Ancestors.All(a => AllTrue(a.Conditions)));
        return allGood && input.Problems.Count == 0 && skippedSettings == 0 ? 0 : 1;
    }

    /// <summary>
    /// The routes' entries (<see cref="StatusJson"/>), then each AuthorizationPolicy's, XBackend's and backend policy's as
    /// the controller writes it (<c>status.ancestors[]</c>, an XBackend's <c>status.parents[]</c>).
    /// </summary>
    private static JsonArray Json(MeshModel model, IReadOnlyList<AuthorizationPolicyStatus> policies, DateTimeOffset now)
    {
        var all = JsonNode.Parse(StatusJson.ToUtf8Bytes(model.Statuses, now))!.AsArray();
        foreach (var p in AuthorizationStatusJson.ToArray(policies, model.ControllerName, now).Concat(BackendStatusJson.ToArray(model, now)).ToList())
        {
            all.Add(p!.DeepClone());
        }

        return all;
    }

    private static bool AllTrue(IReadOnlyList<RouteCondition> conditions) => conditions.All(c => c.Status == RouteConditions.True);

    private static bool IsAcceptedAndResolved(RouteParentStatus parent) =>
        parent.Conditions.Any(c => c is { Type: "Accepted", Status: "True" })
        && parent.Conditions.Any(c => c is { Type: "ResolvedRefs", Status: "True" });
}
