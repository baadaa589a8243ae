using System.Text.Json.Nodes;
using Weft.Api.Model;
using Weft.ControlPlane.Kubernetes;

namespace Weft.Cli.Local;

/// <summary>
/// What a kubelet does with a container the injector added, done for the local cluster: its environment (values and
/// the downward API fields the injector uses), its arguments with <c>$(VAR)</c> references expanded as Kubernetes
/// expands them (<see cref="ContainerVariables"/>), mount paths turned into the host paths where the local kubelet
/// keeps the volumes (there is no mount namespace), and Weft's image turned into the local weft binaries
/// (<c>weft-proxy</c> → <c>weft proxy</c>).
/// </summary>
internal static class InjectedContainer
{
    /// <summary>The container of <paramref name="pod"/> named <paramref name="name"/> in <paramref name="list"/> (containers or initContainers).</summary>
    public static JsonObject? Find(JsonObject pod, string list, string name) =>
        ((pod["spec"] as JsonObject)?[list] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(c => JsonFields.Text(c["name"]) == name);

    /// <summary>The container's environment: plain values, and fieldRefs to the pod's name, namespace, IP and service account.</summary>
    public static Dictionary<string, string> Environment(JsonObject container, JsonObject pod)
    {
        ArgumentNullException.ThrowIfNull(container);
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var variable in (container["env"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if (JsonFields.Text(variable["name"]) is not { } name)
            {
                continue;
            }

            var value = JsonFields.Text(variable["value"]) ?? (JsonFields.Text(((variable["valueFrom"] as JsonObject)?["fieldRef"] as JsonObject)?["fieldPath"]) switch
            {
                "metadata.name" => JsonFields.Text((pod["metadata"] as JsonObject)?["name"]),
                "metadata.namespace" => JsonFields.Text((pod["metadata"] as JsonObject)?["namespace"]),
                "spec.serviceAccountName" => JsonFields.Text((pod["spec"] as JsonObject)?["serviceAccountName"]) ?? "default",
                "status.podIP" => JsonFields.Text((pod["status"] as JsonObject)?["podIP"]),
                _ => null,
            });
            if (value is not null)
            {
                env[name] = ContainerVariables.Expand(value, env); // a value may refer to the variables before it
            }
        }

        return env;
    }

    /// <summary>
    /// The local command for a container of Weft's image: its command and arguments expanded, paths under its volume
    /// mounts moved to <paramref name="volumeDirectory"/>(volume name), and the image's binaries to the local ones.
    /// </summary>
    public static ContainerCommand Command(JsonObject container, IReadOnlyDictionary<string, string> env, Func<string, string> volumeDirectory, WeftLauncher weft)
    {
        ArgumentNullException.ThrowIfNull(container);
        ArgumentNullException.ThrowIfNull(weft);
        var mounts = (container["volumeMounts"] as JsonArray ?? []).OfType<JsonObject>()
            .Select(m => (Path: JsonFields.Text(m["mountPath"])?.TrimEnd('/') ?? "", Name: JsonFields.Text(m["name"]) ?? ""))
            .Where(m => m.Path.Length > 0)
            .ToList();
        string Local(string argument)
        {
            var expanded = ContainerVariables.Expand(argument, env);
            foreach (var (path, name) in mounts)
            {
                if (expanded == path || expanded.StartsWith(path + "/", StringComparison.Ordinal))
                {
                    return volumeDirectory(name) + expanded[path.Length..];
                }
            }

            return expanded;
        }

        var line = (container["command"] as JsonArray ?? []).Concat(container["args"] as JsonArray ?? []).Select(a => Local(JsonFields.Text(a) ?? "")).ToList();
        if (line.Count == 0)
        {
            throw new InvalidOperationException($"container {JsonFields.Text(container["name"])} has no command");
        }

        return line[0] switch
        {
            WeftInstallation.ProxyPath => weft.Proxy(line.Skip(1)),
            WeftInstallation.CliPath => weft.Command(line.Skip(1)),
            _ => throw new InvalidOperationException($"container {JsonFields.Text(container["name"])} runs {line[0]}, which the local cluster does not have"),
        };
    }
}
