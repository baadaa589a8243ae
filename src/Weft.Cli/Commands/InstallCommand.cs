using System.CommandLine;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Weft.Cli.Install;
using Weft.Cli.Output;
using Weft.ControlPlane.Kubernetes;

namespace Weft.Cli.Commands;

/// <summary>
/// <c>weft install [--namespace NS] [--image REF] [--replicas N] [--crds] [-o yaml|json]</c>: prints everything a cluster
/// needs to run Weft (<see cref="InstallManifest"/>), in apply order, for <c>kubectl apply -f -</c>. It talks to no
/// cluster. <c>deploy/</c> holds the default output (scripts/render-deploy.sh writes it).
/// </summary>
internal static class InstallCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Create()
    {
        var ns = new Option<string>("--namespace", "-n") { Description = "Weft's namespace", DefaultValueFactory = _ => WeftInstallation.DefaultNamespace };
        var image = new Option<string?>("--image") { Description = $"The image of the controller, init container and sidecar (default: {WeftInstallation.ImageRepository}:VERSION, this build's)" };
        var replicas = new Option<int>("--replicas") { Description = "The controller's replicas", DefaultValueFactory = _ => 1 };
        var crds = new Option<bool>("--crds") { Description = $"Print the Gateway API CRDs Weft reads ({GatewayApiCrds.PinnedVersion}, experimental channel) and Weft's own (policy.weft.dev) first" };
        var output = new Option<string>("--output", "-o") { Description = "yaml (default: documents separated by ---) or json (a v1 List)", DefaultValueFactory = _ => "yaml" };
        output.AcceptOnlyFromAmong("yaml", "json");
        var command = new Command("install", "Print the Kubernetes objects that install Weft (for kubectl apply -f -)") { ns, image, replicas, crds, output };
        command.SetAction(result =>
        {
            var options = new InstallOptions
            {
                Namespace = result.GetValue(ns)!,
                Image = result.GetValue(image) ?? WeftInstallation.Image(VersionCommand.Version),
                Replicas = result.GetValue(replicas),
                Crds = result.GetValue(crds),
            };
            if (options.Replicas < 1)
            {
                Console.Error.WriteLine("weft install: --replicas must be at least 1");
                return 2;
            }

            Console.Out.Write(Render(InstallManifest.Objects(options), result.GetValue(output)!));
            return 0;
        });
        return command;
    }

    internal static string Render(IReadOnlyList<JsonObject> objects, string format)
    {
        if (format == "json")
        {
            var list = new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "List",
                ["items"] = new JsonArray([.. objects.Select(o => o.DeepClone())]),
            };
            return list.ToJsonString(Indented) + "\n";
        }

        var yaml = new StringBuilder();
        foreach (var obj in objects)
        {
            yaml.Append("---\n").Append(YamlWriter.Write(obj));
        }

        return yaml.ToString();
    }
}
