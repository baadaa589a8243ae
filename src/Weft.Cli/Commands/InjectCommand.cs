using System.CommandLine;
using System.Text.Json.Nodes;
using Weft.Api;
using Weft.Cli.Output;
using Weft.ControlPlane.Injection;
using Weft.ControlPlane.Kubernetes;
using Weft.Routing;

namespace Weft.Cli.Commands;

/// <summary>
/// <c>weft inject -f FILE</c>: what the injector webhook would do to each workload, done offline (as <c>linkerd inject
/// --manual</c>): every Pod, and the pod template of every Deployment, ReplicaSet, StatefulSet, DaemonSet, Job and
/// CronJob (also inside a <c>List</c>), gets the init container, the sidecar and its volume; the rest passes through
/// unchanged. Workloads are meant to be meshed (a template or a Namespace in the input saying <c>weft.dev/mesh: off</c>
/// keeps its pods out). A line per workload on stderr says what was done.
/// </summary>
internal static class InjectCommand
{
    public static Command Create()
    {
        var files = new Option<string[]>("--filename", "-f") { Description = "Manifest files or directories (- reads standard input)", Required = true, AllowMultipleArgumentsPerToken = true };
        var weftNamespace = new Option<string>("--weft-namespace") { Description = "The namespace Weft is installed in (the sidecars' control plane address)", DefaultValueFactory = _ => WeftInstallation.DefaultNamespace };
        var image = new Option<string>("--proxy-image") { Description = "The image of the init and sidecar containers", DefaultValueFactory = _ => WeftInstallation.Image(VersionCommand.Version) };
        var level = new Option<string>("--default-level") { Description = "The level of workloads whose template and namespace name none: l4 or l7 (off injects only what opts in)", DefaultValueFactory = _ => MeshLevels.L7 };
        var command = new Command("inject", "Add Weft's init container and sidecar to the workloads of manifests, as the injector webhook does in a cluster")
        {
            files, weftNamespace, image, level,
        };
        command.SetAction(result =>
        {
            var levelValue = result.GetValue(level)!.Trim().ToLowerInvariant();
            if (levelValue is not (MeshLevels.Off or MeshLevels.L4 or MeshLevels.L7))
            {
                Console.Error.WriteLine($"weft inject: --default-level must be off, l4 or l7, not '{result.GetValue(level)}'");
                return 2;
            }

            var forCluster = InjectorOptions.ForCluster(result.GetValue(weftNamespace)!, result.GetValue(image)!, VersionCommand.Version, Capture.CaptureOptions.Default.ToArguments());
            var options = forCluster with { DefaultLevel = levelValue };
            var documents = new List<JsonObject>();
            foreach (var path in result.GetValue(files)!)
            {
                try
                {
                    documents.AddRange(Read(path));
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or YamlDotNet.Core.YamlException)
                {
                    Console.Error.WriteLine($"weft inject: {path}: {e.Message}");
                    return 2;
                }
            }

            var output = Console.Out;
            var first = true;
            foreach (var document in Inject(documents, options, Console.Error))
            {
                if (!first)
                {
                    output.WriteLine("---");
                }

                first = false;
                output.Write(YamlWriter.Write(document));
            }

            return 0;
        });
        return command;
    }

    /// <summary>The documents with their workloads injected; a line per workload to <paramref name="report"/>.</summary>
    public static IReadOnlyList<JsonObject> Inject(IReadOnlyList<JsonObject> documents, InjectorOptions options, TextWriter report)
    {
        ArgumentNullException.ThrowIfNull(documents);
        ArgumentNullException.ThrowIfNull(report);
        var namespaces = documents.SelectMany(Flatten)
            .Where(d => JsonFields.Text(d["kind"]) == "Namespace")
            .GroupBy(d => JsonFields.Text((d["metadata"] as JsonObject)?["name"]) ?? "")
            .ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);
        return [.. documents.Select(d => InjectDocument(d, namespaces, options, report))];
    }

    private static JsonObject InjectDocument(JsonObject document, Dictionary<string, JsonObject> namespaces, InjectorOptions options, TextWriter report)
    {
        var copy = (JsonObject)document.DeepClone();
        if (JsonFields.Text(copy["kind"]) == "List" && copy["items"] is JsonArray items)
        {
            for (var i = 0; i < items.Count; i++)
            {
                if (items[i] is JsonObject item)
                {
                    items[i] = InjectDocument(item, namespaces, options, report);
                }
            }

            return copy;
        }

        var kind = JsonFields.Text(copy["kind"]) ?? "";
        var metadata = copy["metadata"] as JsonObject;
        var ns = JsonFields.Text(metadata?["namespace"]) ?? "default";
        var name = $"{kind.ToLowerInvariant()}/{JsonFields.Text(metadata?["name"]) ?? "(unnamed)"}";
        var (holder, member) = kind switch
        {
            "Pod" => ((JsonObject?)null, ""),
            "Deployment" or "ReplicaSet" or "StatefulSet" or "DaemonSet" or "Job" or "ReplicationController" => (copy["spec"] as JsonObject, "template"),
            "CronJob" => (((copy["spec"] as JsonObject)?["jobTemplate"] as JsonObject)?["spec"] as JsonObject, "template"),
            _ => (null, null),
        };
        if (member is null)
        {
            return copy; // not a workload
        }

        var pod = kind == "Pod" ? copy : holder?[member] as JsonObject;
        if (pod is null)
        {
            report.WriteLine($"{name}: skipped (no pod template)");
            return copy;
        }

        var decision = SidecarInjector.Decide(pod, namespaces.GetValueOrDefault(ns), options);
        if (!decision.Injected)
        {
            report.WriteLine($"{name}: skipped ({decision.Reason})");
            return copy;
        }

        var injected = JsonPatch.Apply(pod, decision.Patch!);
        report.WriteLine($"{name}: injected");
        if (kind == "Pod")
        {
            return injected;
        }

        holder![member] = injected;
        return copy;
    }

    private static IEnumerable<JsonObject> Flatten(JsonObject document) =>
        JsonFields.Text(document["kind"]) == "List" && document["items"] is JsonArray items ? items.OfType<JsonObject>().SelectMany(Flatten) : [document];

    private static IEnumerable<JsonObject> Read(string path)
    {
        if (path == "-")
        {
            return ManifestJson.Documents(Console.In.ReadToEnd());
        }

        IEnumerable<string> files = Directory.Exists(path)
            ? Directory.EnumerateFiles(path).Where(f => ManifestLoader.ManifestExtensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase)).Order(StringComparer.Ordinal)
            : [path];
        return files.SelectMany(f => ManifestJson.Documents(File.ReadAllText(f)));
    }
}
