using System.CommandLine;
using Grpc.Core;
using Weft.Api.Model;
using Weft.Cli.Local;
using Weft.Cli.Output;
using Weft.ControlPlane.Kubernetes;
using Weft.Discovery;
using Weft.Discovery.V1;

namespace Weft.Cli.Commands;

/// <summary>
/// <c>weft status</c>: the running local mesh's Services and pods (from its state file), route status and proxy
/// subscriptions (from its control plane); with <c>--kubeconfig</c>, a cluster's route status (from its API server) and
/// its controller's proxy subscriptions (<c>--control-plane</c>, as the kubeconfig's user).
/// </summary>
internal static class StatusCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print the local mesh's state file as is" };
        var access = new ControlPlaneAccessOptions();
        var command = new Command("status", "Show the mesh: Services, pods, route status, proxy subscriptions (the local mesh, or a cluster's with --kubeconfig)") { json };
        access.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            // What is printed repeats what others wrote (names, status messages, the control plane's answer): escaped, as
            // weft stat's and weft tap's are. The state file's JSON (--json) is JSON's own escaping.
            var stdout = TerminalText.Writer(Console.Out);
            var query = access.Read(result);
            if (query.NamesCluster)
            {
                if (result.GetValue(json))
                {
                    Console.Error.WriteLine("weft status: --json prints a local mesh's state file; a cluster has none");
                    return 2;
                }

                return await WriteClusterStatusAsync(query, stdout, ct) ? 0 : 1;
            }

            var (found, error) = StateFile.Find(query.State, query.Dir);
            if (found is null)
            {
                Console.Error.WriteLine($"weft status: {error}");
                return 2; // as weft exec and weft curl: which mesh was not said, or is not there
            }

            if (result.GetValue(json))
            {
                Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(found, StateFile.Json));
                return 0;
            }

            stdout.WriteLine($"local mesh of {found.ManifestDirectory} (pid {found.Pid}), control plane {found.ControlPlane}, addresses {found.AddressBlock}, {(found.Ready ? "ready" : "NOT ready")}");
            stdout.WriteLine(found.Isolation == IsolationNames.Netns
                ? $"isolation: netns (each pod a network namespace, traffic captured by iptables; DNS {found.Nameserver}; weft exec NS/DEPLOYMENT -- COMMAND runs inside a pod)"
                : "isolation: process (pods are processes on loopback addresses; apps reach their sidecar through proxy settings)");
            stdout.WriteLine();
            stdout.Write(UpCommand.Table(found));
            stdout.WriteLine();
            if (found.Kubeconfig is { } kubeconfig)
            {
                // weft up --kubeconfig: route status is what the controller wrote to the API server; read it there. The rest
                // (policies, problems, subscriptions) is the controller's, asked as the kubeconfig's user: when that part
                // cannot be had, the output says why and the command goes on.
                var routes = ClusterConfig.TryResolve(kubeconfig, found.KubeContext, "status", out var config, stdout)
                    && await WriteApiRouteStatusAsync(config, kubeconfig, stdout, ct);
                await WriteControlPlaneStatusAsync(await ControlPlaneAdmin.ForMeshAsync("status", found, stdout, ct), stdout, ct, routes: false);
                if (!routes)
                {
                    return 1;
                }
            }
            else if (!await WriteControlPlaneStatusAsync(await ControlPlaneAdmin.ForMeshAsync("status", found, stdout, ct), stdout, ct))
            {
                return 1;
            }

            return found.Ready ? 0 : 1;
        });
        return command;
    }

    /// <summary>
    /// A cluster's status: its routes' status as the API server holds it, and, when <c>--control-plane</c> names the
    /// controller, what the controller reports (policies, problems, proxy subscriptions).
    /// </summary>
    private static async Task<bool> WriteClusterStatusAsync(ControlPlaneAdmin.Query query, TextWriter w, CancellationToken ct)
    {
        var routes = ClusterConfig.TryResolve(query.Kubeconfig, query.Context, "status", out var config, w)
            && await WriteApiRouteStatusAsync(config, query.Kubeconfig ?? config.Host, w, ct);
        if (query.ControlPlane is null)
        {
            // The controller writes AuthorizationPolicy status to the API server too: read it there (with --control-plane
            // the controller reports it, with the rest).
            var policies = routes && await WriteApiPolicyStatusAsync(config, query.Kubeconfig ?? config.Host, w, ct);
            w.WriteLine();
            w.WriteLine($"proxy subscriptions: the controller's; pass --control-plane {WeftInstallation.PortForwardHint(query.WeftNamespace)} (XBackend and backend policy status and manifest problems, too)");
            return policies;
        }

        return await WriteControlPlaneStatusAsync(await ControlPlaneAdmin.FindAsync("status", query, w, ct), w, ct, routes: false) && routes;
    }

    /// <summary>The routes' status as the API server holds it (the entries of Weft's controller), read as the kubeconfig's user.</summary>
    internal static async Task<bool> WriteApiRouteStatusAsync(k8s.KubernetesClientConfiguration config, string source, TextWriter w, CancellationToken ct)
    {
        if (await FromApiAsync(config, source, "the routes", "list on HTTPRoutes, GRPCRoutes, TCPRoutes and TLSRoutes",
            (client, token) => RouteStatusJson.ReadAllAsync(client, Weft.Routing.MeshModel.DefaultControllerName, token), w, ct) is not { } statuses)
        {
            return false;
        }

        w.WriteLine($"route status from the API server ({source}):");
        StatusTable.Write(w, [.. statuses.Where(s => s.Parents.Count > 0)]);
        return true;
    }

    /// <summary>AuthorizationPolicies' status as the API server holds it (Weft's entries), read as the kubeconfig's user.</summary>
    private static async Task<bool> WriteApiPolicyStatusAsync(k8s.KubernetesClientConfiguration config, string source, TextWriter w, CancellationToken ct)
    {
        if (await FromApiAsync(config, source, "the AuthorizationPolicies", $"list on authorizationpolicies.{WeftPolicyApi.Group}",
            (client, token) => AuthorizationStatusJson.ReadAllAsync(client, Weft.Routing.MeshModel.DefaultControllerName, token), w, ct) is not { } policies)
        {
            return false;
        }

        if (policies.Count > 0)
        {
            w.WriteLine();
            w.WriteLine($"AuthorizationPolicy status from the API server ({source}):");
            WriteStatuses(w, policies);
        }

        return true;
    }

    /// <summary>
    /// What <paramref name="read"/> lists from the API server as the kubeconfig's user, within 10 s; null, and a line
    /// saying why (refused: the <paramref name="rights"/> needed; or no answer), when it could not be had.
    /// </summary>
    private static async Task<T?> FromApiAsync<T>(k8s.KubernetesClientConfiguration config, string source, string what, string rights,
        Func<k8s.IKubernetes, CancellationToken, Task<T>> read, TextWriter w, CancellationToken ct)
        where T : class
    {
        try
        {
            using var client = new k8s.Kubernetes(config);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            return await read(client, timeout.Token);
        }
        catch (k8s.Autorest.HttpOperationException ex) when (ex.Response.StatusCode is System.Net.HttpStatusCode.Unauthorized or System.Net.HttpStatusCode.Forbidden)
        {
            w.WriteLine($"weft status: the API server of {source} refused to list {what}: {KubeErrors.Describe(ex)} (the kubeconfig's user needs {rights})");
            return null;
        }
        catch (Exception ex) when (ex is k8s.Autorest.HttpOperationException or HttpRequestException or OperationCanceledException or k8s.Exceptions.KubeConfigException or IOException)
        {
            w.WriteLine($"weft status: the API server of {source} did not answer: {KubeErrors.Describe(ex)}");
            return null;
        }
    }

    /// <summary>
    /// What the control plane reports, asked as <paramref name="access"/> says (<see cref="ControlPlaneAdmin"/>): route
    /// statuses as Weft writes them (unless <paramref name="routes"/> is false: they were read from the API server),
    /// AuthorizationPolicy, XBackend, BackendTLSPolicy and XBackendTrafficPolicy statuses, manifest problems and each proxy subscription with its versions; false when there
    /// is no access (why was written already) or no answer.
    /// </summary>
    internal static async Task<bool> WriteControlPlaneStatusAsync(ControlPlaneAdmin.Access? access, TextWriter w, CancellationToken ct, bool routes = true)
    {
        if (access is null || await ReadStatusAsync(access, w, ct) is not { } reply)
        {
            return false;
        }

        WriteStatusReply(w, reply, routes);
        return true;
    }

    /// <summary>The control plane's status reply, or null (and why, written) when it refused or did not answer within 15 s.</summary>
    private static async Task<StatusReply?> ReadStatusAsync(ControlPlaneAdmin.Access access, TextWriter w, CancellationToken ct)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(15));
            return await DiscoveryClient.GetStatusAsync(access.ControlPlane, timeout.Token, access.Roots, access.Credentials, access.ServerName);
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.PermissionDenied or StatusCode.Unauthenticated)
        {
            w.WriteLine($"weft status: the control plane {access.ControlPlane} refused: {ex.Status.Detail}");
        }
        catch (RpcException ex)
        {
            w.WriteLine($"weft status: the control plane {access.ControlPlane} did not answer: {ex.Status.Detail}");
        }
        catch (Exception ex) when (ex is OperationCanceledException or HttpRequestException)
        {
            w.WriteLine($"weft status: the control plane {access.ControlPlane} did not answer: {ex.Message}");
        }

        return null;
    }

    /// <summary>
    /// The control plane's status as <c>weft status</c> prints it (and <c>weft dashboard</c> shows it); without the route
    /// statuses when <paramref name="routes"/> is false (they were read from the API server).
    /// </summary>
    internal static void WriteStatusReply(TextWriter w, StatusReply reply, bool routes = true)
    {
        if (routes)
        {
            StatusTable.Write(w, StatusJson.Read(reply.RouteStatusesJson.Span));
        }

        foreach (var objects in new[] { reply.AuthorizationStatusesJson, reply.BackendStatusesJson }.Where(json => !json.IsEmpty))
        {
            WriteStatuses(w, System.Text.Json.Nodes.JsonNode.Parse(objects.Span) as System.Text.Json.Nodes.JsonArray ?? []);
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

    /// <summary>
    /// AuthorizationPolicies, XBackends and backend policies as the control plane reports them: one block per object, a
    /// line per target (a policy's <c>ancestors</c>) or parent (an XBackend's <c>parents</c>) and condition.
    /// </summary>
    internal static void WriteStatuses(TextWriter w, System.Text.Json.Nodes.JsonArray objects)
    {
        foreach (var o in objects)
        {
            w.WriteLine($"{o?["kind"]} {o?["namespace"]}/{o?["name"]}");
            var ancestors = o?["status"]?["ancestors"] as System.Text.Json.Nodes.JsonArray;
            var entries = ancestors ?? o?["status"]?["parents"] as System.Text.Json.Nodes.JsonArray ?? [];
            if (ancestors is null && entries.Count == 0)
            {
                w.WriteLine(StatusTable.NotReferenced);
            }

            foreach (var a in entries)
            {
                w.WriteLine($"  {(ancestors is null ? "parent" : "target")} {Describe(a?["ancestorRef"] ?? a?["parentRef"], o?["namespace"]?.ToString(), group: o?["kind"]?.ToString() != AuthorizationPolicy.KindName)}");
                StatusTable.WriteConditions(w, (a?["conditions"] as System.Text.Json.Nodes.JsonArray ?? [])
                    .Select(c => (c?["type"]?.ToString() ?? "", c?["status"]?.ToString() ?? "", c?["reason"]?.ToString() ?? "", c?["message"]?.ToString() ?? "")));
            }
        }
    }

    /// <summary>
    /// A status entry's parentRef or ancestorRef as <c>weft validate</c> writes it (<see cref="StatusTable"/>): the kind
    /// (with its <paramref name="group"/> unless core; an AuthorizationPolicy's targets without), <c>namespace/name</c> (the
    /// object's own namespace when the reference has none), section and port; a target without a name is a selector.
    /// </summary>
    private static string Describe(System.Text.Json.Nodes.JsonNode? target, string? ownNamespace, bool group)
    {
        var kind = target?["kind"]?.ToString();
        var text = target?["group"]?.ToString() is { } g && group && !CoreServiceRef.IsCoreGroup(g) ? $"{kind}.{g}" : kind;
        text += target?["name"] is { } name ? $" {target["namespace"]?.ToString() ?? ownNamespace}/{name}" : " selector";
        text += target?["sectionName"] is { } section ? $" section {section}" : "";
        return target?["port"] is { } port ? $"{text} port {port}" : text;
    }
}
