using System.CommandLine;
using System.Text.Json.Nodes;
using Weft.Api.Model;
using Weft.Cli.Local;
using Weft.Cli.Output;
using Weft.ControlPlane.Kubernetes;
using Weft.Discovery;
using Weft.Routing;
using Weft.Routing.Authorization;

namespace Weft.Cli.Commands;

/// <summary>
/// <c>weft validate PATH...</c>: each route's and AuthorizationPolicy's status exactly as Weft would write it (gamma-spec
/// H; a policy's targets resolved against the pods the manifests' Deployments would run), and every object the API server
/// would reject. Exit 0: all routes and policies Accepted with refs resolved; 1: some are not, or some object is invalid;
/// 2: input cannot be read.
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

        var model = MeshModel.Build(MeshSnapshot.From(input.Objects));
        var statuses = model.Statuses;

        // A policy's targets are pods: admit the Deployments as the local cluster would, so that selectors find them.
        var policies = input.Objects.OfType<AuthorizationPolicy>().Any()
            ? AdmittedCluster.Admit(input.Objects, new Random(1)).Model.AuthorizationStatuses
            : [];
        switch (format)
        {
            case "json":
                stdout.WriteLine(Json(statuses, policies, model.ControllerName, time.GetUtcNow()).ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
                break;
            case "yaml":
                stdout.Write(YamlWriter.Write(Json(statuses, policies, model.ControllerName, time.GetUtcNow())));
                break;
            default:
                if (statuses.Count > 0 || policies.Count == 0)
                {
                    StatusTable.Write(stdout, statuses);
                }

                StatusTable.Write(stdout, policies);
                break;
        }

        var allGood = statuses.All(s => s.Parents.Count > 0 && s.Parents.All(IsAcceptedAndResolved))
            && policies.All(p => p.Targets.All(t => t.Conditions.All(c => c.Status == RouteConditions.True)));
        return allGood && input.Problems.Count == 0 ? 0 : 1;
    }

    /// <summary>The routes' entries (<see cref="StatusJson"/>), then each policy's as the controller writes it (<c>status.ancestors[]</c>).</summary>
    private static JsonArray Json(IReadOnlyList<RouteStatus> statuses, IReadOnlyList<AuthorizationPolicyStatus> policies, string controllerName, DateTimeOffset now)
    {
        var all = JsonNode.Parse(StatusJson.ToUtf8Bytes(statuses, now))!.AsArray();
        foreach (var p in AuthorizationStatusJson.ToArray(policies, controllerName, now).ToList())
        {
            all.Add(p!.DeepClone());
        }

        return all;
    }

    private static bool IsAcceptedAndResolved(RouteParentStatus parent) =>
        parent.Conditions.Any(c => c is { Type: "Accepted", Status: "True" })
        && parent.Conditions.Any(c => c is { Type: "ResolvedRefs", Status: "True" });
}
