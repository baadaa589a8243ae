using System.Globalization;
using System.Text.Json.Nodes;
using Weft.ControlPlane.Kubernetes;
using Weft.Routing;

namespace Weft.ControlPlane.Injection;

/// <summary>
/// The injector's one decision, shared by the admission webhook, <c>weft inject</c> and the local cluster: whether a
/// pod gets a sidecar, and the JSON Patch (RFC 6902) that gives it one. A pod opts in when its template's annotation or
/// label <c>weft.dev/mesh</c> (then its namespace's annotation or label) says <c>l4</c> or <c>l7</c>, or when nothing says
/// anything and <see cref="InjectorOptions.DefaultLevel"/> is on. Skipped: pods that say <c>off</c>, host-network pods
/// (their traffic is the node's), pods already injected, and pods whose ports collide with the sidecar's.
/// </summary>
/// <remarks>
/// What is added: the init container <c>weft-init</c> (the capture rules, <c>weft init</c>) last among the init
/// containers, so that the pod's own init containers run before capture (as with Istio and Linkerd, they reach the
/// network directly); the sidecar <c>weft-proxy</c> first among the containers, so that it starts first; one projected
/// volume with the sidecar's service-account token (audience <c>weft</c>) and the mesh trust bundle; and annotations
/// recording the resolved level and the injecting version. Everything comes from the pod's own fields through the
/// downward API, so the patch does not depend on the pod's name (which the API server may not have generated yet).
/// </remarks>
public static class SidecarInjector
{
    /// <summary>The projected volume holding the token and the trust bundle, and where the sidecar sees it.</summary>
    public const string IdentityVolume = "weft-identity";

    public const string IdentityMountPath = "/var/run/secrets/weft.dev";

    public const string TokenFileName = "token";

    public const string TrustBundleFileName = "ca.crt";

    /// <summary>Decides for a pod (or a pod template: an object with <c>metadata</c> and <c>spec</c>).</summary>
    /// <param name="pod">The pod as the API server would store it.</param>
    /// <param name="namespaceObject">Its Namespace object, when known (its labels and annotations may opt the pod in).</param>
    /// <param name="options">The injector's settings: image, ports, defaults.</param>
    public static InjectionDecision Decide(JsonObject pod, JsonObject? namespaceObject, InjectorOptions options)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(options);
        var metadata = pod["metadata"] as JsonObject;
        var spec = pod["spec"] as JsonObject;
        if (spec is null)
        {
            return InjectionDecision.Skip("the pod has no spec");
        }

        var annotations = Strings(metadata?["annotations"]);
        var labels = Strings(metadata?["labels"]);
        var nsMetadata = namespaceObject?["metadata"] as JsonObject;
        IReadOnlyDictionary<string, string>[] sources = [annotations, labels, Strings(nsMetadata?["annotations"]), Strings(nsMetadata?["labels"])];
        var level = MeshLevels.Requested(sources) ?? MeshLevels.Normalize(options.DefaultLevel);
        var mtls = MeshLevels.RequestedMtls(sources) ?? options.DefaultMtls;
        // A pod's tracing annotations over the mesh's; one that does not parse leaves the mesh's (as an unknown mtls value does).
        var tracing = Weft.Routing.Tracing.TracingSettings.TryApplyAnnotations(options.Tracing, annotations, out var podTracing, out _) ? podTracing : options.Tracing;

        if (annotations.ContainsKey(WeftInstallation.InjectedAnnotation)
            || Names(spec["containers"]).Contains(WeftInstallation.SidecarContainerName)
            || Names(spec["initContainers"]).Contains(WeftInstallation.InitContainerName))
        {
            return InjectionDecision.Skip("already injected");
        }

        if (level == MeshLevels.Off)
        {
            return InjectionDecision.Skip($"{MeshLevels.Key} is off (the pod or its namespace does not opt in)");
        }

        if (spec["hostNetwork"] is JsonValue host && host.TryGetValue<bool>(out var hostNetwork) && hostNetwork)
        {
            return InjectionDecision.Skip("the pod uses the host's network: its traffic cannot be captured", warn: true);
        }

        var sidecarPorts = new[] { options.AdminPort, options.OutboundPort, options.InboundPort };
        foreach (var container in Objects(spec["containers"]).Concat(Objects(spec["initContainers"])))
        {
            foreach (var port in Objects(container["ports"]))
            {
                if (port["containerPort"] is JsonValue value && value.TryGetValue<int>(out var number) && sidecarPorts.Contains(number))
                {
                    return InjectionDecision.Skip($"container {container["name"]} declares port {number}, which the sidecar listens on", warn: true);
                }
            }
        }

        var patch = new JsonArray();
        if (metadata is null)
        {
            patch.Add(Op("add", "/metadata", new JsonObject()));
        }

        if (metadata?["annotations"] is not JsonObject)
        {
            patch.Add(Op("add", "/metadata/annotations", new JsonObject()));
        }

        // add on an object member replaces it: the resolved level is recorded whatever the template said.
        patch.Add(Op("add", "/metadata/annotations/" + Escape(WeftInstallation.InjectedAnnotation), options.Version));
        patch.Add(Op("add", "/metadata/annotations/" + Escape(MeshLevels.Key), level));

        // The kubelet's probes go to the sidecar's admin port, which asks the app (before the sidecar is inserted: these
        // paths use the containers' own indices).
        var probes = new JsonObject();
        var index = 0;
        foreach (var container in Objects(spec["containers"]))
        {
            foreach (var kind in ProbeKinds)
            {
                if (container[kind] is JsonObject probe && RewriteProbe(container, kind, probe, options, probes) is { } rewritten)
                {
                    patch.Add(Op("replace", $"/spec/containers/{index}/{kind}", rewritten));
                }
            }

            index++;
        }

        patch.Add(spec["initContainers"] is JsonArray
            ? Op("add", "/spec/initContainers/-", InitContainer(options))
            : Op("add", "/spec/initContainers", new JsonArray(InitContainer(options))));
        patch.Add(spec["containers"] is JsonArray
            ? Op("add", "/spec/containers/0", Sidecar(options, level, mtls, tracing, probes, WorkloadOf(metadata, labels)))
            : Op("add", "/spec/containers", new JsonArray(Sidecar(options, level, mtls, tracing, probes, WorkloadOf(metadata, labels)))));
        patch.Add(spec["volumes"] is JsonArray
            ? Op("add", "/spec/volumes/-", Volume(options))
            : Op("add", "/spec/volumes", new JsonArray(Volume(options))));
        return new InjectionDecision(true, $"injected at {MeshLevels.Key}={level}, {MeshLevels.MtlsKey}={mtls}", patch);
    }

    /// <summary>The init container: <c>weft init</c> as root with the two capabilities iptables needs, and nothing else.</summary>
    private static JsonObject InitContainer(InjectorOptions options) => new()
    {
        ["name"] = WeftInstallation.InitContainerName,
        ["image"] = options.Image,
        ["command"] = new JsonArray(WeftInstallation.CliPath),
        ["args"] = new JsonArray([.. options.InitArguments.Select(a => (JsonNode?)a)]),
        ["securityContext"] = new JsonObject
        {
            ["runAsUser"] = 0,
            ["runAsNonRoot"] = false,
            ["allowPrivilegeEscalation"] = false,
            // iptables-legacy takes its lock in /run/xtables.lock (as Istio's istio-init, not read-only).
            ["readOnlyRootFilesystem"] = false,
            ["capabilities"] = new JsonObject { ["add"] = new JsonArray("NET_ADMIN", "NET_RAW"), ["drop"] = new JsonArray("ALL") },
        },
        ["resources"] = new JsonObject { ["requests"] = new JsonObject { ["cpu"] = "10m", ["memory"] = "16Mi" } },
    };

    /// <summary>The admin path a rewritten probe is sent to: <c>/app-health/CONTAINER/KIND</c>.</summary>
    public static string ProbePath(string container, string kind) => $"{MeshWire.AppHealthPrefix}{container}/{kind.Replace("Probe", "", StringComparison.Ordinal)}";

    private static readonly string[] ProbeKinds = ["readinessProbe", "livenessProbe", "startupProbe"];

    /// <summary>
    /// A kubelet probe of the app, sent to the sidecar instead (as Istio rewrites them): an HTTP or TCP probe of a
    /// captured port would reach the inbound listener, which refuses plaintext under strict mTLS, so the pod would never be
    /// Ready. The probe becomes an HTTP GET of the sidecar's admin port (not captured) on <see cref="ProbePath"/>; what it
    /// asked for is recorded in <paramref name="probes"/> for the sidecar, which asks the app and answers with its status.
    /// A named port is resolved against the container's ports (left alone when it names none); probes of another host, gRPC
    /// and exec probes are left alone (exec runs inside the container; gRPC ones are not rewritten yet).
    /// </summary>
    private static JsonObject? RewriteProbe(JsonObject container, string kind, JsonObject probe, InjectorOptions options, JsonObject probes)
    {
        var name = container["name"].Text() ?? "";
        JsonObject target;
        if (probe["httpGet"] is JsonObject http && http["host"] is null && Port(container, http["port"]) is int httpPort)
        {
            target = new JsonObject
            {
                ["port"] = httpPort,
                ["path"] = http["path"]?.DeepClone() ?? "/",
                ["scheme"] = http["scheme"]?.DeepClone() ?? "HTTP",
            };
            if (http["httpHeaders"] is JsonArray headers)
            {
                target["httpHeaders"] = headers.DeepClone();
            }
        }
        else if (probe["tcpSocket"] is JsonObject tcp && Port(container, tcp["port"]) is int tcpPort)
        {
            target = new JsonObject { ["tcp"] = tcpPort };
        }
        else
        {
            return null;
        }

        if (probe["timeoutSeconds"] is JsonValue timeout)
        {
            target["timeoutSeconds"] = timeout.DeepClone();
        }

        var path = ProbePath(name, kind);
        probes[path] = target;
        var rewritten = probe.DeepClone().AsObject();
        rewritten.Remove("tcpSocket");
        rewritten["httpGet"] = new JsonObject { ["path"] = path, ["port"] = options.AdminPort, ["scheme"] = "HTTP" };
        return rewritten;
    }

    private static int? Port(JsonObject container, JsonNode? port)
    {
        if (port is JsonValue value && value.TryGetValue<int>(out var number))
        {
            return number;
        }

        var name = port.Text();
        if (name is not null && int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
        {
            return parsed;
        }

        return name is null ? null : Objects(container["ports"]).FirstOrDefault(p => p["name"].Text() == name)?["containerPort"].Int();
    }

    /// <summary>
    /// The pod's workload for the sidecar's <c>--workload</c> (its metrics' workload labels), by <see cref="WorkloadName"/>:
    /// a pod a ReplicaSet makes has no name yet at admission, but its owner (and its pod-template-hash label) name the
    /// Deployment. Null (the sidecar then uses the pod's name) when neither owner nor name says.
    /// </summary>
    internal static string? WorkloadOf(JsonObject? metadata, IReadOnlyDictionary<string, string> labels)
    {
        var owners = Objects(metadata?["ownerReferences"])
            .Select(o => new Weft.Api.Model.OwnerReference(o["kind"].Text() ?? "", o["name"].Text() ?? "",
                o["controller"] is JsonValue controller && controller.TryGetValue<bool>(out var isController) && isController))
            .ToList();
        var name = metadata?["name"].Text() ?? metadata?["generateName"].Text();
        return WorkloadName.Of(name, labels, owners);
    }

    /// <summary>The sidecar: <c>weft-proxy</c> with the capture listeners, as the uid the capture rules spare.</summary>
    private static JsonObject Sidecar(InjectorOptions options, string level, string mtls, Weft.Routing.Tracing.TracingSettings tracing, JsonObject probes, string? workload) => new()
    {
        ["name"] = WeftInstallation.SidecarContainerName,
        ["image"] = options.Image,
        ["command"] = new JsonArray(WeftInstallation.ProxyPath),
        ["args"] = new JsonArray([.. SidecarArguments(options, level, mtls, tracing, workload).Select(a => (JsonNode?)a)]),
        ["env"] = SidecarEnvironment(probes),
        ["ports"] = new JsonArray(new JsonObject { ["name"] = "weft-admin", ["containerPort"] = options.AdminPort, ["protocol"] = "TCP" }),
        ["readinessProbe"] = new JsonObject
        {
            ["httpGet"] = new JsonObject { ["path"] = MeshWire.ReadyPath, ["port"] = options.AdminPort },
            ["periodSeconds"] = 2,
            ["failureThreshold"] = 3,
        },
        // Restarts a sidecar whose listeners stopped taking connections (issue 15); /live does not depend on the control
        // plane, so an outage of that never restarts every sidecar of the mesh.
        ["livenessProbe"] = new JsonObject
        {
            ["httpGet"] = new JsonObject { ["path"] = MeshWire.LivePath, ["port"] = options.AdminPort },
            ["initialDelaySeconds"] = 10,
            ["periodSeconds"] = 10,
            ["timeoutSeconds"] = 3,
            ["failureThreshold"] = 3,
        },
        ["securityContext"] = new JsonObject
        {
            ["runAsUser"] = options.ProxyUid,
            ["runAsGroup"] = options.ProxyUid,
            ["runAsNonRoot"] = true,
            ["allowPrivilegeEscalation"] = false,
            ["readOnlyRootFilesystem"] = true,
            ["capabilities"] = new JsonObject { ["drop"] = new JsonArray("ALL") },
        },
        ["resources"] = new JsonObject { ["requests"] = new JsonObject { ["cpu"] = "10m", ["memory"] = "32Mi" } },
        ["volumeMounts"] = new JsonArray(new JsonObject { ["name"] = IdentityVolume, ["mountPath"] = IdentityMountPath, ["readOnly"] = true }),
    };

    /// <summary>
    /// <c>weft-proxy</c>'s command line: the pod's identity from the downward API, the control plane (checked against the
    /// trust bundle when it is https), the token file, the resolved level and mTLS mode, the capture listeners (each port
    /// that is not the sidecar's default: the admin port the probes and the <c>weft-admin</c> port name, the ones the
    /// capture rules redirect to), and the resolved tracing when it is on.
    /// </summary>
    private static IEnumerable<string> SidecarArguments(InjectorOptions options, string level, string mtls, Weft.Routing.Tracing.TracingSettings tracing, string? workload)
    {
        string[] head = [ProxyFlags.Pod, "$(POD_NAMESPACE)/$(POD_NAME)", ProxyFlags.PodIp, "$(POD_IP)", ProxyFlags.ServiceAccount, "$(SERVICE_ACCOUNT)",
            ProxyFlags.ControlPlane, options.ControlPlane.ToString().TrimEnd('/')];
        string[] ca = options.ControlPlane.Scheme == Uri.UriSchemeHttps ? [ProxyFlags.ControlPlaneCa, $"{IdentityMountPath}/{TrustBundleFileName}"] : [];
        string[] named = workload is null ? [] : [ProxyFlags.Workload, workload];
        string[] ports = [.. Moved(ProxyFlags.AdminPort, options.AdminPort, MeshPorts.Admin), .. Moved(ProxyFlags.OutboundPort, options.OutboundPort, MeshPorts.Outbound),
            .. Moved(ProxyFlags.InboundPort, options.InboundPort, MeshPorts.Inbound)];
        return [.. head, .. named, .. ca, ProxyFlags.TokenFile, $"{IdentityMountPath}/{TokenFileName}", ProxyFlags.Mtls, mtls, ProxyFlags.Level, level, ProxyFlags.Capture,
            .. ports, .. tracing.SidecarArguments()];

        static string[] Moved(string flag, int port, int sidecarDefault) => port == sidecarDefault ? [] : [flag, port.ToString(CultureInfo.InvariantCulture)];
    }

    /// <summary>The sidecar's token (audience weft, bound to the pod by the kubelet) and the mesh trust bundle, in one volume.</summary>
    private static JsonObject Volume(InjectorOptions options) => new()
    {
        ["name"] = IdentityVolume,
        ["projected"] = new JsonObject
        {
            ["defaultMode"] = 0x124, // 0444: the sidecar's uid is not the file owner
            ["sources"] = new JsonArray(
                new JsonObject
                {
                    ["serviceAccountToken"] = new JsonObject
                    {
                        ["audience"] = options.TokenAudience,
                        ["expirationSeconds"] = options.TokenExpirationSeconds,
                        ["path"] = TokenFileName,
                    },
                },
                new JsonObject
                {
                    ["configMap"] = new JsonObject
                    {
                        ["name"] = options.TrustBundleConfigMap,
                        ["items"] = new JsonArray(new JsonObject { ["key"] = KubeCaSecret.BundleKey, ["path"] = TrustBundleFileName }),
                    },
                }),
        },
    };

    /// <summary>The pod's identity through the downward API, and the app's rewritten probes when it has any.</summary>
    private static JsonArray SidecarEnvironment(JsonObject probes)
    {
        var env = new JsonArray(
            FieldEnv("POD_NAME", "metadata.name"),
            FieldEnv("POD_NAMESPACE", "metadata.namespace"),
            FieldEnv("POD_IP", "status.podIP"),
            FieldEnv("SERVICE_ACCOUNT", "spec.serviceAccountName"));
        if (probes.Count > 0)
        {
            env.Add(new JsonObject { ["name"] = MeshWire.AppProbesVariable, ["value"] = probes.ToJsonString() });
        }

        return env;
    }

    private static JsonObject FieldEnv(string name, string path) => new()
    {
        ["name"] = name,
        ["valueFrom"] = new JsonObject { ["fieldRef"] = new JsonObject { ["fieldPath"] = path } },
    };

    private static JsonObject Op(string op, string path, JsonNode? value) => new() { ["op"] = op, ["path"] = path, ["value"] = value };

    /// <summary>A JSON Pointer reference token (RFC 6901): <c>~</c> as <c>~0</c>, <c>/</c> as <c>~1</c>.</summary>
    public static string Escape(string token) => token.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);

    private static Dictionary<string, string> Strings(JsonNode? node)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (node is JsonObject obj)
        {
            foreach (var (name, value) in obj)
            {
                if (value is JsonValue v && v.TryGetValue<string>(out var s))
                {
                    map[name] = s;
                }
                else if (value is not null)
                {
                    map[name] = Convert.ToString(value.ToString(), CultureInfo.InvariantCulture);
                }
            }
        }

        return map;
    }

    private static IEnumerable<JsonObject> Objects(JsonNode? node) => node is JsonArray array ? array.OfType<JsonObject>() : [];

    private static HashSet<string> Names(JsonNode? node) =>
        [.. Objects(node).Select(c => c["name"].Text() ?? "")];
}

/// <summary>The injector's answer: whether it injects, why (or why not), and the JSON Patch when it does.</summary>
/// <remarks><see cref="Warn"/>: the pod asked for the mesh and cannot have it (its creator should be told).</remarks>
public sealed record InjectionDecision(bool Injected, string Reason, JsonArray? Patch, bool Warn = false)
{
    public static InjectionDecision Skip(string reason, bool warn = false) => new(false, reason, null, warn);
}
