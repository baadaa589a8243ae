using System.CommandLine;
using System.Globalization;
using Weft.Api.Model;
using Weft.Cli.Local;
using Weft.Routing;
using Weft.Routing.Authorization;

namespace Weft.Cli.Commands;

/// <summary>
/// <c>weft explain --from NAMESPACE[/DEPLOYMENT] [-X METHOD] URL [-H 'Name: value']... [PATH...]</c>: which route, rule
/// and backends a request from a workload in NAMESPACE would take, and why, without sending anything; given the
/// Deployment, also whether each backend pod's sidecar would admit the caller's identity (its service account's SPIFFE
/// ID). The reasoning is Routing's (<see cref="MeshModel.Explain"/>); this command only reads the manifests and prints.
/// The manifests are admitted as <c>weft up</c> admits them. With a running <c>weft up</c> (named by <c>--state</c> or
/// <c>--dir</c>, as <c>weft curl</c> names it; or the one running PATH when PATH is one directory; or, without PATH, the
/// only one running, whose directory is then PATH) its ClusterIPs and pods (its state file, <see cref="StateFile"/>) are
/// used, so that its addresses and pod names mean what they mean in that mesh, and its <c>--mtls-default</c>,
/// <c>--default-inbound-policy</c> and <c>--default-outbound-policy</c>; otherwise
/// the output says that the addresses and names are explain's own.
/// </summary>
public static class ExplainCommand
{
    public static Command Create()
    {
        var from = new Option<string>("--from") { Description = "The client workload: NAMESPACE, or NAMESPACE/DEPLOYMENT to also decide authorization for its identity; explained at its mesh level (off, l4, l7)", Required = true };
        var defaultPolicy = DefaultInboundOption.CreateWithoutDefault("the running weft up's --default-inbound-policy, else " + DefaultInboundPolicies.AllUnauthenticated);
        var defaultOutbound = DefaultOutboundOption.CreateWithoutDefault("the running weft up's --default-outbound-policy, else " + OutboundPolicies.AllowAny);
        var mtlsDefault = DefaultMtlsOption.CreateWithoutDefault("the running weft up's --mtls-default, else strict");
        var method = new Option<string>("--request", "-X") { Description = "HTTP method", DefaultValueFactory = _ => "GET" };
        var headers = new Option<string[]>("--header", "-H")
        {
            Description = "Request header 'Name: value' (repeatable)",
            AllowMultipleArgumentsPerToken = false,
        };
        var sni = new Option<string?>("--sni") { Description = "For a TLS destination: the server name (SNI) the client's ClientHello sends" };
        var url = new Argument<string>("URL") { Description = "Where the app sends the request: http://svc[.ns[.svc.cluster.local]][:port]/path?query, or a ClusterIP or pod IP (a running weft up's: see --state, --dir)" };
        var paths = new Argument<string[]>("PATH")
        {
            Arity = ArgumentArity.ZeroOrMore,
            Description = "Manifest files or directories; a running weft up of the one directory given lends its addresses and pod names. Default: the directory of the running weft up (--state, --dir, or the only one)",
        };
        var meshState = new MeshStateOptions();

        var command = new Command("explain", "Say where a request would go, would it be allowed, and why, without sending it") { from, method, headers, sni, defaultPolicy, defaultOutbound, mtlsDefault, url, paths };
        meshState.AddTo(command);
        command.SetAction(parse => Run(
            parse.GetValue(from)!, parse.GetValue(method)!, parse.GetValue(url)!, parse.GetValue(headers) ?? [], parse.GetValue(paths) ?? [],
            TerminalText.Writer(Console.Out), TerminalText.Writer(Console.Error), parse.GetValue(sni), parse.GetValue(defaultPolicy), parse.GetValue(defaultOutbound),
            meshState.State(parse), meshState.Dir(parse), parse.GetValue(mtlsDefault)));
        return command;
    }

    /// <summary>
    /// The command. <paramref name="statePath"/> (<c>--state</c>) and <paramref name="meshDirectory"/> (<c>--dir</c>) name a
    /// running mesh as <c>weft curl</c>'s do; <paramref name="defaultMtls"/> (<c>--mtls-default</c>) is the mesh's default
    /// mTLS mode, null for the running mesh's (as its <c>weft up --mtls-default</c> set it), else strict;
    /// <paramref name="defaultInboundPolicy"/> and <paramref name="defaultOutboundPolicy"/> likewise, else all-unauthenticated
    /// and allow-any.
    /// </summary>
    internal static int Run(
        string from, string method, string url, IReadOnlyList<string> headerArgs, IReadOnlyList<string> paths, TextWriter stdout, TextWriter stderr,
        string? serverName = null, string? defaultInboundPolicy = null, string? defaultOutboundPolicy = null,
        string? statePath = null, string? meshDirectory = null, string? defaultMtls = null)
    {
        var slash = from.IndexOf('/', StringComparison.Ordinal);
        var clientNamespace = slash < 0 ? from : from[..slash];
        var deployment = slash < 0 ? null : from[(slash + 1)..];
        if (clientNamespace.Length == 0 || deployment is { Length: 0 })
        {
            stderr.WriteLine($"error: --from '{from}' is not NAMESPACE or NAMESPACE/DEPLOYMENT");
            return 2;
        }

        if ((defaultInboundPolicy is not null && DefaultInboundOption.Parse(defaultInboundPolicy, stderr) is null)
            || (defaultOutboundPolicy is not null && DefaultOutboundOption.Parse(defaultOutboundPolicy, stderr) is null)
            || (defaultMtls is not null && DefaultMtlsOption.Parse(defaultMtls, stderr) is null))
        {
            return 2;
        }

        if (!TryParseUrl(url, out var request, out var urlError))
        {
            stderr.WriteLine($"error: {urlError}");
            return 2;
        }

        var headers = new List<KeyValuePair<string, string>>();
        foreach (var h in headerArgs)
        {
            if (!HeaderArgument.TryParse(h, out var header))
            {
                stderr.WriteLine($"error: header '{h}' is not 'Name: value'");
                return 2;
            }

            headers.Add(header);
        }

        // A running weft up: the one --state or --dir names (as weft curl finds it, with its errors), or without PATH the only
        // one running; else, when PATH is one directory, the weft up running it, if any.
        MeshState? running;
        if (statePath is not null || meshDirectory is not null || paths.Count == 0)
        {
            (running, var error) = StateFile.Find(statePath, meshDirectory);
            if (running is null)
            {
                stderr.WriteLine($"weft explain: {error}");
                return 2;
            }
        }
        else
        {
            running = paths.Count == 1 && Directory.Exists(paths[0]) ? StateFile.Find(null, paths[0]).State : null;
        }

        var input = ManifestInput.Load(paths.Count > 0 ? paths : [running!.ManifestDirectory], stderr);
        if (input.Unreadable)
        {
            return 2;
        }

        // The manifests are admitted as the local cluster admits them (pods with their service accounts, EndpointSlices),
        // so that the Services have endpoints and, with a Deployment, the caller an identity and each backend pod an inbound
        // policy. With a running weft up, with that mesh's ClusterIPs and pods.
        // The mesh defaults given, else the running mesh's (as its weft up set them), else weft up's own defaults.
        var mtlsDefault = MeshLevels.ParseMtls(defaultMtls) ?? MeshLevels.ParseMtls(running?.MtlsDefault) ?? MeshLevels.MtlsStrict;
        var meshDefault = DefaultInboundPolicies.Parse(defaultInboundPolicy) ?? DefaultInboundPolicies.Parse(running?.DefaultInboundPolicy) ?? DefaultInboundPolicies.AllUnauthenticated;
        var outboundDefault = OutboundPolicies.Parse(defaultOutboundPolicy) ?? OutboundPolicies.Parse(running?.DefaultOutboundPolicy) ?? OutboundPolicies.AllowAny;
        var cluster = AdmittedCluster.Admit(input.Objects, new Random(1), meshDefault, outboundDefault, running, mtlsDefault);
        var model = cluster.Model;
        string? identity = null, clientPod = null, levelSource = null;
        if (deployment is not null)
        {
            if (cluster.PodOf(clientNamespace, deployment) is not { } client)
            {
                stderr.WriteLine($"error: no Deployment {clientNamespace}/{deployment} in the manifests");
                return 2;
            }

            identity = model.IdentityOf(client);
            clientPod = client.Key;
            levelSource = cluster.LevelSources.GetValueOrDefault(client.Key); // the template's, its namespace's or the default, not the pod's recorded annotation
        }

        if (url.StartsWith("grpc://", StringComparison.OrdinalIgnoreCase)
            && !headers.Exists(h => h.Key.Equals("content-type", StringComparison.OrdinalIgnoreCase)))
        {
            headers.Add(new("content-type", "application/grpc")); // a grpc:// URL is a gRPC call: the planner decides by content-type, as the proxy does
            method = "POST";
        }

        var explanation = model.Explain(clientNamespace, request with
        {
            Method = method.ToUpperInvariant(),
            Headers = headers,
            ServerName = serverName,
            Identity = identity,
            ClientPod = clientPod,
            ClientLevelSource = levelSource,
        });
        foreach (var line in explanation.ToLines())
        {
            stdout.WriteLine(line);
        }

        stdout.WriteLine(running is null
            ? "addresses: no weft up runs these manifests: ClusterIPs, pod IPs and pod names are explain's own, illustrative (weft status shows a running mesh's)"
            : $"addresses: those of the weft up running {running.ManifestDirectory} (process {running.Pid.ToString(CultureInfo.InvariantCulture)}): its ClusterIPs, pod IPs and pod names");

        return explanation.Frontend is null && explanation.Policy is null ? 1 : 0; // 1: the mesh has no policy for it
    }

    internal static bool TryParseUrl(string url, out ExplainRequest request, out string error)
    {
        request = new ExplainRequest("", 80, "GET", "/", []);
        var text = url.Contains("://", StringComparison.Ordinal) ? url : "http://" + url;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "grpc"))
        {
            error = $"'{url}' is not an http:// URL";
            return false;
        }

        // Keep the path and query exactly as written: Uri would unescape and normalise them.
        var afterAuthority = text.IndexOf('/', text.IndexOf("://", StringComparison.Ordinal) + 3);
        var pathAndQuery = afterAuthority < 0 ? "/" : text[afterAuthority..];
        var hash = pathAndQuery.IndexOf('#', StringComparison.Ordinal);
        if (hash >= 0)
        {
            pathAndQuery = pathAndQuery[..hash];
        }

        var port = uri.IsDefaultPort && uri.Scheme == "http" ? 80 : uri.Port;
        request = new ExplainRequest(uri.IdnHost, port, "GET", pathAndQuery, []);
        error = "";
        return true;
    }
}
