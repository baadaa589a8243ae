using System.CommandLine;
using Grpc.Core;
using Weft.Cli.Local;
using Weft.Discovery;
using Weft.Discovery.Tap;
using Weft.Discovery.V1;

namespace Weft.Cli.Commands;

/// <summary>
/// <c>weft stat deploy|svc|routes|rules[/NAME]</c>: success rate, requests per second and p50/p95/p99 latency over a
/// window of up to a minute, one row per Deployment, Service, route or route rule (as <c>linkerd viz stat</c>), with
/// the L4 connections open and opened and bytes per second each way where it had TCP traffic (TCPRoute, TLSRoute, opaque
/// TCP). The
/// numbers come from the sidecars' own counters (their <c>/stat</c> windows), asked through the control plane with the
/// admin credential, or in a cluster as the kubeconfig's user (<see cref="ControlPlaneAdmin.FindAsync"/>);
/// <see cref="StatTable"/> sums them.
/// </summary>
internal static class StatCommand
{
    public static Command Create()
    {
        var target = new Argument<string>("target") { Description = "deploy, svc, routes or rules; /NAME for one (deploy/cart, svc/cart, route/cart-canary)" };
        var ns = new Option<string>("--namespace", "-n") { Description = "The namespace of the Deployments, Services or routes", DefaultValueFactory = _ => "default" };
        var from = new Option<string?>("--from") { Description = "Only calls from this workload: deploy/NAME" };
        var fromNamespace = new Option<string?>("--from-namespace") { Description = "The namespace of --from (default: --namespace)" };
        var window = new Option<string>("--window", "-w") { Description = "The window: 1s to 60s (or 1m), rounded up to whole 10-second slots", DefaultValueFactory = _ => "60s" };
        var access = new ControlPlaneAccessOptions();
        var command = new Command("stat", "Success rate, requests per second and latency percentiles per Deployment, Service, route or rule; TCP connections and bytes where there were any")
        {
            target, ns, from, fromNamespace, window,
        };
        access.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            if (!TryQuery(result.GetValue(target)!, result.GetValue(ns) ?? "default", result.GetValue(from), result.GetValue(fromNamespace), out var query, out var error)
                || !TryWindow(result.GetValue(window) ?? "60s", out var seconds, out error))
            {
                Console.Error.WriteLine($"weft stat: {error}");
                return 2;
            }

            if (await ControlPlaneAdmin.FindAsync("stat", access.Read(result), Console.Error, ct) is not { } admin)
            {
                return 1;
            }

            StatReply reply;
            try
            {
                // The control plane answers within 20 s (a sidecar not answered by then is a notice): this waits a little longer.
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
                deadline.CancelAfter(TimeSpan.FromSeconds(30));
                reply = await DiscoveryClient.StatAsync(admin.ControlPlane, Request(query, seconds), admin.Roots, admin.Credentials, deadline.Token, admin.ServerName);
            }
            catch (RpcException e) when (!ct.IsCancellationRequested)
            {
                Console.Error.WriteLine(e.StatusCode == StatusCode.Cancelled || e.StatusCode == StatusCode.DeadlineExceeded
                    ? $"weft stat: the control plane {admin.ControlPlane} did not answer within 30 s"
                    : $"weft stat: {e.Status.Detail}");
                return 1;
            }
            catch (HttpRequestException e)
            {
                Console.Error.WriteLine($"weft stat: the control plane {admin.ControlPlane} did not answer: {e.Message} (is the mesh running?)");
                return 1;
            }

            var exit = 0;
            foreach (var notice in reply.Pods.Where(p => p.Notice.Length > 0))
            {
                Console.Error.WriteLine($"weft stat: {TerminalText.Escape(notice.Notice)}");
                exit = 1;
            }

            var rows = StatTable.Rows(query, reply.Pods);
            if (rows.Count == 0)
            {
                Console.Error.WriteLine(StatTable.NoneFound(query, seconds)); // as kubectl get says "No resources found", exit 0
                return exit;
            }

            Console.Write(StatTable.Render(query.Kind, rows));
            return exit;
        });
        return command;
    }

    /// <summary>Parses the target (<c>deploy</c>, <c>deploy/NAME</c>, <c>svc/NAME</c>, <c>routes</c>, <c>rules/NAME</c>…) and <c>--from</c>.</summary>
    internal static bool TryQuery(string target, string @namespace, string? from, string? fromNamespace, out StatQuery query, out string? error)
    {
        query = new StatQuery(StatKind.Deploy, @namespace);
        var slash = target.IndexOf('/', StringComparison.Ordinal);
        var (kindText, name) = slash < 0 ? (target, null) : (target[..slash], target[(slash + 1)..]);
        StatKind? kind = kindText switch
        {
            "deploy" or "deployment" or "deployments" => StatKind.Deploy,
            "svc" or "service" or "services" => StatKind.Service,
            "route" or "routes" or "httproute" or "httproutes" or "grpcroute" or "grpcroutes" or "tcproute" or "tcproutes" or "tlsroute" or "tlsroutes" => StatKind.Route,
            "rule" or "rules" => StatKind.Rule,
            _ => null,
        };
        if (kind is null)
        {
            error = $"cannot stat '{target}': name deploy, svc, routes or rules, or one of them as KIND/NAME";
            return false;
        }

        if (name is { Length: 0 } || name?.Contains('/', StringComparison.Ordinal) == true)
        {
            error = $"'{target}' names no {kindText}: KIND/NAME, in the namespace -n names";
            return false;
        }

        string? fromWorkload = null;
        if (from is not null)
        {
            if (!TapTarget.TryParse(from, out var fromKind, out var fromName, out error) || fromKind != "deploy")
            {
                error = $"--from '{from}': name the calling workload, deploy/NAME";
                return false;
            }

            fromWorkload = fromName;
        }

        query = new StatQuery(kind.Value, @namespace, name, fromWorkload, fromNamespace);
        error = null;
        return true;
    }

    /// <summary>A window of whole seconds or a minute (<c>30s</c>, <c>1m</c>), as a sidecar's <c>/stat</c> takes it.</summary>
    internal static bool TryWindow(string text, out uint seconds, out string? error)
    {
        var ok = StatWindows.TryParse(text, out var n);
        seconds = (uint)n;
        error = ok ? null : $"--window '{text}': a duration such as 10s, 30s or 1m, at most {StatWindows.MaxSeconds}s";
        return ok;
    }

    /// <summary>
    /// Whose windows to ask for: a Deployment's own pods for <c>deploy/NAME</c> (its inbound series), a namespace's pods
    /// for <c>deploy</c>, and every pod of the mesh for Services, routes and rules (their callers may be anywhere).
    /// </summary>
    internal static StatRequest Request(StatQuery query, uint seconds) => query.Kind switch
    {
        StatKind.Deploy when query.Name is not null => new StatRequest { Namespace = query.Namespace, TargetKind = "deploy", TargetName = query.Name, WindowSeconds = seconds },
        StatKind.Deploy => new StatRequest { Namespace = query.Namespace, WindowSeconds = seconds },
        _ => new StatRequest { Namespace = query.Namespace, AllNamespaces = true, WindowSeconds = seconds },
    };
}
