using System.CommandLine;
using Grpc.Core;
using Weft.Cli.Local;
using Weft.Cli.Output;
using Weft.ControlPlane.Kubernetes;
using Weft.Discovery;
using Weft.Discovery.V1;

namespace Weft.Cli.Commands;

/// <summary><c>weft status</c>: the running local mesh's Services and pods, from its state file.</summary>
internal static class StatusCommand
{
    public static Command Create()
    {
        var state = new Option<string?>("--state") { Description = "The state file of the mesh (default: the only running one)" };
        var dir = new Option<string?>("--dir") { Description = "The manifests directory the mesh was started with" };
        var json = new Option<bool>("--json") { Description = "Print the state file as is" };
        var command = new Command("status", "Show the running local mesh: Services, pods, route status, proxy subscriptions") { state, dir, json };
        command.SetAction(async (result, ct) =>
        {
            var (found, error) = StateFile.Find(result.GetValue(state), result.GetValue(dir));
            if (found is null)
            {
                Console.Error.WriteLine($"weft status: {error}");
                return 1;
            }

            if (result.GetValue(json))
            {
                Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(found, StateFile.Json));
                return 0;
            }

            Console.WriteLine($"local mesh of {found.ManifestDirectory} (pid {found.Pid}), control plane {found.ControlPlane}, addresses {found.AddressBlock}, {(found.Ready ? "ready" : "NOT ready")}");
            Console.WriteLine(found.Isolation == IsolationNames.Netns
                ? $"isolation: netns (each pod a network namespace, traffic captured by iptables; DNS {found.Nameserver}; weft exec NS/DEPLOYMENT -- COMMAND runs inside a pod)"
                : "isolation: process (pods are processes on loopback addresses; apps reach their sidecar through proxy settings)");
            Console.WriteLine();
            Console.Write(UpCommand.Table(found));
            Console.WriteLine();
            if (found.Kubeconfig is { } kubeconfig)
            {
                // weft up --kubeconfig: route status is what the controller wrote to the API server; read it there.
                if (!await WriteApiRouteStatusAsync(new Local.Api.ApiServerConnection { Kubeconfig = kubeconfig, Context = found.KubeContext }, Console.Out, ct))
                {
                    return 1;
                }
            }
            else if (!await WriteControlPlaneStatusAsync(new Uri(found.ControlPlane), Console.Out, ct, found.ControlPlaneCa, found.AdminCredential))
            {
                return 1;
            }

            return found.Ready ? 0 : 1;
        });
        return command;
    }

    /// <summary>The routes' status as the API server holds it (the entries of Weft's controller).</summary>
    internal static async Task<bool> WriteApiRouteStatusAsync(Local.Api.ApiServerConnection connection, TextWriter w, CancellationToken ct)
    {
        var statuses = new List<Weft.Routing.RouteStatus>();
        try
        {
            using var client = connection.CreateClient();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            statuses.AddRange(await RouteStatusJson.ReadAllAsync(client, Weft.Routing.MeshModel.DefaultControllerName, timeout.Token));
        }
        catch (Exception ex) when (ex is k8s.Autorest.HttpOperationException or HttpRequestException or OperationCanceledException or k8s.Exceptions.KubeConfigException or IOException)
        {
            w.WriteLine($"the API server of {connection.Kubeconfig} did not answer: {KubeErrors.Describe(ex)}");
            return false;
        }

        w.WriteLine($"route status from the API server ({connection.Kubeconfig}):");
        StatusTable.Write(w, [.. statuses.Where(s => s.Parents.Count > 0)]);
        return true;
    }

    /// <summary>
    /// Route statuses (as Weft writes them), manifest problems, and each proxy subscription with its versions, read with
    /// the control plane's admin credential (<paramref name="credentialFile"/>) over TLS verified against
    /// <paramref name="caFile"/>.
    /// </summary>
    internal static async Task<bool> WriteControlPlaneStatusAsync(Uri controlPlane, TextWriter w, CancellationToken ct, string? caFile = null, string? credentialFile = null)
    {
        StatusReply reply;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(15));
            var (roots, credentials) = await ControlPlaneAdmin.ReadAsync(caFile, credentialFile, ct);
            reply = await DiscoveryClient.GetStatusAsync(controlPlane, timeout.Token, roots, credentials);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            w.WriteLine($"cannot read the control plane's credentials ({credentialFile}, {caFile}): {ex.Message}");
            return false;
        }
        catch (Exception ex) when (ex is RpcException or OperationCanceledException or HttpRequestException)
        {
            w.WriteLine($"control plane {controlPlane} did not answer: {ex.Message}");
            return false;
        }

        WriteStatusReply(w, reply);
        return true;
    }

    /// <summary>The control plane's status as <c>weft status</c> prints it (and <c>weft dashboard</c> shows it).</summary>
    internal static void WriteStatusReply(TextWriter w, StatusReply reply)
    {
        StatusTable.Write(w, StatusJson.Read(reply.RouteStatusesJson.Span));
        if (!reply.AuthorizationStatusesJson.IsEmpty)
        {
            WritePolicies(w, System.Text.Json.Nodes.JsonNode.Parse(reply.AuthorizationStatusesJson.Span) as System.Text.Json.Nodes.JsonArray ?? []);
        }

        foreach (var problem in reply.Problems)
        {
            w.WriteLine($"error: {problem.Text}");
        }

        if (reply.Subscriptions.Count > 0)
        {
            w.WriteLine();
            w.WriteLine($"{"PROXY",-40} {"DESTINATION",-36} {"STATUS",-9} SENT  ACKED  NACKED");
            foreach (var s in reply.Subscriptions.OrderBy(s => s.ClientPod, StringComparer.Ordinal).ThenBy(s => s.Host, StringComparer.Ordinal))
            {
                var nack = s.NackedVersion > 0 ? $"{s.NackedVersion} ({s.NackError})" : "-";
                w.WriteLine($"{s.ClientPod,-40} {s.Host + ":" + s.Port,-36} {s.Status,-9} {s.SentVersion,-5} {s.AckedVersion,-6} {nack}");
            }
        }

        if (reply.InboundSubscriptions.Count > 0)
        {
            w.WriteLine();
            w.WriteLine($"{"INBOUND POLICY OF",-40} {"STATUS",-9} SENT  ACKED  NACKED");
            foreach (var s in reply.InboundSubscriptions.OrderBy(s => s.Pod, StringComparer.Ordinal))
            {
                var nack = s.NackedVersion > 0 ? $"{s.NackedVersion} ({s.NackError})" : "-";
                w.WriteLine($"{s.Pod,-40} {s.Status,-9} {s.SentVersion,-5} {s.AckedVersion,-6} {nack}");
            }
        }

        w.WriteLine($"model version {reply.ModelVersion}, store version {reply.StoreVersion}");
    }

    /// <summary>AuthorizationPolicies as the control plane reports them: one block per policy, a line per target and condition.</summary>
    internal static void WritePolicies(TextWriter w, System.Text.Json.Nodes.JsonArray policies)
    {
        foreach (var p in policies)
        {
            w.WriteLine($"AuthorizationPolicy {p?["namespace"]}/{p?["name"]}");
            foreach (var a in p?["status"]?["ancestors"] as System.Text.Json.Nodes.JsonArray ?? [])
            {
                var target = a?["ancestorRef"];
                var section = target?["sectionName"] is { } s ? $" section {s}" : "";
                w.WriteLine($"  target {target?["kind"]} {target?["name"]?.ToString() ?? "selector"}{section}");
                foreach (var c in a?["conditions"] as System.Text.Json.Nodes.JsonArray ?? [])
                {
                    var ok = c?["status"]?.ToString() == "True";
                    w.WriteLine($"    {(ok ? "✓" : "✗")} {c?["type"],-16} {c?["status"],-7} {c?["reason"],-18} {c?["message"]}");
                }
            }
        }
    }
}
