using System.Text;
using System.Text.Json.Nodes;
using Weft.Api.Model;
using Weft.ControlPlane.Objects;

namespace Weft.Cli.Local;

/// <summary>
/// When the control plane runs as a child process (<c>weft up --control-plane process</c>): what weft up records and
/// allocates, as an API server holds it for a controller to read, written to one file that the child loads
/// (<see cref="ClusterMirrorSource"/>): the pods (with their IPs and uids, which workload tokens are checked against),
/// their EndpointSlices, and the Services with the ClusterIPs weft up allocated. The child reads everything else (routes,
/// policies) from the manifests directory itself. Rewritten whole (write beside, move over) whenever the store's copy of
/// these objects changes.
/// </summary>
internal sealed class ClusterMirror : IDisposable
{
    public const string FileName = "cluster.json";

    private readonly ObjectStore _store;
    private readonly Lock _gate = new();
    private string? _written;
    private bool _disposed;

    public ClusterMirror(ObjectStore store, string path)
    {
        _store = store;
        Path = path;
        Write();
        store.Changed += OnChanged;
    }

    public string Path { get; }

    /// <summary>The objects of <paramref name="objects"/> the child needs from weft up, as a YAML stream of JSON documents.</summary>
    public static string Render(IEnumerable<KubeObject> objects)
    {
        var text = new StringBuilder();
        foreach (var obj in objects.OrderBy(ObjectStore.KeyOf, StringComparer.Ordinal))
        {
            JsonObject? json = obj switch
            {
                Service service => ServiceJson(service),
                Pod pod => PodJson(pod),
                EndpointSlice slice => Api.ApiClusterRecord.SliceJson(slice),
                _ => null,
            };
            if (json is not null)
            {
                text.Append("---\n").Append(json.ToJsonString()).Append('\n');
            }
        }

        return text.ToString();
    }

    public void Dispose()
    {
        _store.Changed -= OnChanged;
        lock (_gate)
        {
            _disposed = true;
        }
    }

    private void OnChanged(object? sender, EventArgs e)
    {
        try
        {
            Write();
        }
        catch (IOException)
        {
            // Written again on the next change; the child keeps what it last read.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private void Write()
    {
        // Under the lock from snapshot to move, so an older snapshot never replaces a newer one.
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            var text = Render(_store.Snapshot().Objects);
            if (text == _written)
            {
                return;
            }

            var temp = Path + ".next";
            File.WriteAllText(temp, text);
            File.Move(temp, Path, overwrite: true);
            _written = text;
        }
    }

    private static JsonObject ServiceJson(Service service)
    {
        var spec = new JsonObject
        {
            ["type"] = service.Spec.Type,
            ["ports"] = new JsonArray([.. service.Spec.Ports.Select(p =>
            {
                var port = new JsonObject { ["protocol"] = p.Protocol, ["port"] = p.Port };
                if (p.Name is not null)
                {
                    port["name"] = p.Name;
                }

                if (p.TargetPort.Number is { } number)
                {
                    port["targetPort"] = number;
                }
                else if (!string.IsNullOrEmpty(p.TargetPort.Text))
                {
                    port["targetPort"] = p.TargetPort.Text;
                }

                if (p.AppProtocol is not null)
                {
                    port["appProtocol"] = p.AppProtocol;
                }

                return (JsonNode)port;
            })]),
        };
        if (service.Spec.ClusterIP is { } clusterIP)
        {
            spec["clusterIP"] = clusterIP;
        }

        if (service.Spec.ClusterIPs.Count > 0)
        {
            spec["clusterIPs"] = Strings(service.Spec.ClusterIPs);
        }

        if (service.Spec.Selector is { } selector)
        {
            spec["selector"] = Api.ApiClusterRecord.Map(selector);
        }

        if (service.Spec.ExternalName is { } externalName)
        {
            spec["externalName"] = externalName;
        }

        return new JsonObject { ["apiVersion"] = service.ApiVersion, ["kind"] = service.Kind, ["metadata"] = Metadata(service.Metadata), ["spec"] = spec };
    }

    private static JsonObject PodJson(Pod pod)
    {
        var json = new JsonObject
        {
            ["apiVersion"] = pod.ApiVersion,
            ["kind"] = pod.Kind,
            ["metadata"] = Metadata(pod.Metadata),
            ["spec"] = new JsonObject
            {
                ["serviceAccountName"] = pod.Spec.ServiceAccountName,
                ["containers"] = new JsonArray([.. pod.Spec.Containers.Select(c =>
                {
                    var container = new JsonObject
                    {
                        ["name"] = c.Name,
                        ["ports"] = new JsonArray([.. c.Ports.Select(p =>
                        {
                            var port = new JsonObject { ["containerPort"] = p.Port, ["protocol"] = p.Protocol };
                            if (p.Name is not null)
                            {
                                port["name"] = p.Name;
                            }

                            return (JsonNode)port;
                        })]),
                    };
                    if (c.Image is not null)
                    {
                        container["image"] = c.Image;
                    }

                    return (JsonNode)container;
                })]),
            },
        };
        if (pod.PodIP is { } ip)
        {
            json["status"] = new JsonObject { ["podIP"] = ip };
        }

        return json;
    }

    private static JsonObject Metadata(ObjectMeta meta)
    {
        var json = new JsonObject { ["name"] = meta.Name, ["labels"] = Api.ApiClusterRecord.Map(meta.Labels), ["annotations"] = Api.ApiClusterRecord.Map(meta.Annotations), ["generation"] = meta.Generation };
        if (meta.Namespace is not null)
        {
            json["namespace"] = meta.Namespace;
        }

        if (meta.Uid is not null)
        {
            json["uid"] = meta.Uid;
        }

        return json;
    }

    private static JsonArray Strings(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode)JsonValue.Create(v))]);
}
