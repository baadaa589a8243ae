using System.CommandLine;
using System.Text.Json.Nodes;
using Weft.Api.Model;
using Weft.Cli.Output;
using Weft.Discovery;
using Weft.Routing;

namespace Weft.Cli.Commands;

/// <summary>
/// <c>weft validate PATH...</c>: each route's status exactly as Weft would write it (gamma-spec H),
/// and every object the API server would reject. Exit 0: all routes Accepted with refs resolved;
/// 1: some route is not, or some object is invalid; 2: input cannot be read.
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
        switch (format)
        {
            case "json":
                stdout.WriteLine(StatusJson.ToJson(statuses, time.GetUtcNow()));
                break;
            case "yaml":
                stdout.Write(YamlWriter.Write(JsonNode.Parse(StatusJson.ToUtf8Bytes(statuses, time.GetUtcNow()))));
                break;
            default:
                StatusTable.Write(stdout, statuses);
                break;
        }

        var allGood = statuses.All(s => s.Parents.Count > 0 && s.Parents.All(IsAcceptedAndResolved));
        return allGood && input.Problems.Count == 0 ? 0 : 1;
    }

    private static bool IsAcceptedAndResolved(RouteParentStatus parent) =>
        parent.Conditions.Any(c => c is { Type: "Accepted", Status: "True" })
        && parent.Conditions.Any(c => c is { Type: "ResolvedRefs", Status: "True" });
}
