using System.CommandLine;
using System.Net;
using System.Text;
using Weft.Cli.Client;
using Weft.Cli.Local;
using Weft.ControlPlane.Kubernetes;
using Weft.Echo;

namespace Weft.Cli.Commands;

/// <summary>
/// <c>weft curl --from NS/DEPLOYMENT URL</c>: sends a request as a pod of that Deployment would and prints the response
/// like curl. In process isolation through its sidecar's proxy settings (CONNECT host:port, then the request in the
/// tunnel); in network namespaces from inside the pod with no proxy setting (names resolved as the pod's resolver does;
/// the pod's capture rules take the connection to its sidecar). Redirects are not followed.
/// </summary>
internal static class CurlCommand
{
    public static Command Create()
    {
        var url = new Argument<string>("URL") { Description = "http://SERVICE[.NAMESPACE][:PORT]/path, or an IP (ClusterIP or pod IP); grpc://SERVICE:PORT calls the echo EchoTestService/Echo" };
        var from = new Option<string>("--from") { Description = "The client: NAMESPACE/DEPLOYMENT (a ready pod of it sends the request)", Required = true };
        var method = new Option<string>("--request", "-X") { Description = "HTTP method", DefaultValueFactory = _ => "GET" };
        var headers = new Option<string[]>("--header", "-H") { Description = "'Name: value' request header (repeatable); Host replaces the Host header only" };
        var include = new Option<bool>("--include", "-i") { Description = "Show the status line and response headers" };
        var count = new Option<int>("--count", "-n") { Description = "Send N requests and show how they were spread over backends", DefaultValueFactory = _ => 1 };
        count.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 1)
            {
                r.AddError("--count: 1 or more requests");
            }
        });
        var data = new Option<string?>("--data", "-d") { Description = "Request body" };
        var connectTo = new Option<string?>("--connect-to") { Description = "HOST:PORT the sidecar connects to instead of the URL's authority" };
        var meshState = new MeshStateOptions();
        var command = new Command("curl", "Send an HTTP request from a workload through its sidecar")
        {
            url, from, method, headers, include, count, data, connectTo,
        };
        meshState.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            var (mesh, error) = meshState.Find(result);
            if (mesh is null)
            {
                await Console.Error.WriteLineAsync($"weft curl: {error}");
                return 2;
            }

            var target = result.GetValue(url)!;
            var grpc = target.StartsWith("grpc://", StringComparison.OrdinalIgnoreCase);
            if (!target.Contains("://", StringComparison.Ordinal))
            {
                target = "http://" + target;
            }

            if (!Uri.TryCreate(target, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != "grpc"))
            {
                await Console.Error.WriteLineAsync($"weft curl: '{target}' is not an http:// or grpc:// URL");
                return 2;
            }

            var client = PickPod(mesh, result.GetValue(from)!, out error);
            if (client is null)
            {
                await Console.Error.WriteLineAsync($"weft curl: {error}");
                return 2;
            }

            var parsedHeaders = new List<KeyValuePair<string, string>>();
            foreach (var header in result.GetValue(headers) ?? [])
            {
                if (!HeaderArgument.TryParse(header, out var parsed))
                {
                    await Console.Error.WriteLineAsync($"weft curl: header '{header}' is not 'Name: value'");
                    return 2;
                }

                parsedHeaders.Add(parsed);
            }

            var request = new MeshRequest
            {
                Url = uri,
                Method = result.GetValue(method)!.ToUpperInvariant(),
                Headers = parsedHeaders,
                ConnectTo = result.GetValue(connectTo),
                Body = result.GetValue(data) is { } body ? Encoding.UTF8.GetBytes(body) : null,
            };
            using var netns = PodEntry.OpenNetwork(mesh, client, out error);
            if (error is not null)
            {
                await Console.Error.WriteLineAsync($"weft curl: {error}");
                return 2;
            }

            PodDialer dialer = netns is null
                ? new SidecarProxyDialer(new IPEndPoint(IPAddress.Parse(client.IP), client.Sidecar.Outbound))
                : new PodNetworkDialer(netns.ConnectAsync, NameserverOf(mesh, netns) is { } dns
                    ? (host, token) => dns.ResolveAsync(host, client.Namespace, token)
                    : (_, _) => Task.FromResult<IReadOnlyList<IPAddress>>([]));
            var n = Math.Max(1, result.GetValue(count));
            if (grpc)
            {
                return await CallGrpcAsync(dialer, request, n, result.GetValue(include), result.GetValue(data) ?? "", ct);
            }

            using var meshClient = new MeshClient(dialer);
            var backends = new Dictionary<string, int>(StringComparer.Ordinal);
            var statuses = new SortedDictionary<int, int>();
            var stdout = Console.OpenStandardOutput();
            for (var i = 0; i < n; i++)
            {
                MeshResponse response;
                try
                {
                    response = await meshClient.SendAsync(request, ct);
                }
                catch (HttpRequestException e)
                {
                    await Console.Error.WriteLineAsync($"weft curl: {Describe(e, client)}");
                    return 7;
                }
                catch (TaskCanceledException) when (!ct.IsCancellationRequested)
                {
                    await Console.Error.WriteLineAsync("weft curl: the request timed out");
                    return 28;
                }

                if (n == 1)
                {
                    if (result.GetValue(include))
                    {
                        await stdout.WriteAsync(Encoding.UTF8.GetBytes(response.Head().Replace("\n", "\r\n", StringComparison.Ordinal) + "\r\n"), ct);
                    }

                    await stdout.WriteAsync(response.Body, ct);
                    await stdout.FlushAsync(ct);
                    return 0;
                }

                var backend = EchoResponse.Parse(response.BodyText).Hostname ?? "(no backend: proxy response)";
                backends[backend] = backends.GetValueOrDefault(backend) + 1;
                statuses[response.StatusCode] = statuses.GetValueOrDefault(response.StatusCode) + 1;
            }

            Console.WriteLine($"{n} requests from {client.Namespace}/{client.Name} to {uri}");
            WriteSpread(statuses, backends, n);
            return 0;
        });
        return command;
    }

    /// <summary>
    /// <c>grpc://HOST:PORT</c>: the echo <c>EchoTestService/Echo</c> call through the sidecar (h2c in the CONNECT tunnel),
    /// -H headers as metadata, -d as the request message; printed as the upstream echo client prints it, with the gRPC
    /// status. Exit code 0 when every call is OK, 1 otherwise.
    /// </summary>
    private static async Task<int> CallGrpcAsync(PodDialer dialer, MeshRequest request, int n, bool include, string message, CancellationToken ct)
    {
        using var grpcClient = new MeshGrpcClient(dialer);
        var backends = new Dictionary<string, int>(StringComparer.Ordinal);
        var statuses = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var allOk = true;
        for (var i = 0; i < n; i++)
        {
            var response = await grpcClient.CallAsync(request, ct, message);
            allOk &= response.Status == 0;
            if (n == 1)
            {
                Console.Write(response.Format(0, message, include));
                if (response.Status != 0 && MeshGrpcClient.IsHttp2ProtocolError(response))
                {
                    await Console.Error.WriteLineAsync($"weft curl: the sidecar did not speak HTTP/2 (h2c): {response.TransportError?.Message}");
                }

                return response.Status == 0 ? 0 : 1;
            }

            var backend = EchoResponse.Parse(response.Message).Hostname ?? "(no backend: proxy response)";
            backends[backend] = backends.GetValueOrDefault(backend) + 1;
            statuses[response.StatusName] = statuses.GetValueOrDefault(response.StatusName) + 1;
        }

        Console.WriteLine($"{n} calls to {request.Url}");
        WriteSpread(statuses, backends, n);
        return allOk ? 0 : 1;
    }

    /// <summary>The <c>--count</c> summary: how many responses had each status, and how they were spread over backends.</summary>
    private static void WriteSpread<TStatus>(IEnumerable<KeyValuePair<TStatus, int>> statuses, Dictionary<string, int> backends, int n)
    {
        Console.WriteLine($"status: {string.Join(", ", statuses.Select(s => $"{s.Key} ×{s.Value}"))}");
        foreach (var (backend, hits) in backends.OrderByDescending(b => b.Value))
        {
            Console.WriteLine($"  {backend,-50} {hits,5}  {100.0 * hits / n,5:0.0}%");
        }
    }

    /// <summary>The pod's nameserver (the mesh's DNS answerer), asked from inside the pod as its resolver does.</summary>
    private static Local.Dns.DnsStubResolver? NameserverOf(MeshState mesh, Local.Netns.NetworkNamespace netns) =>
        mesh.Nameserver is { } nameserver && IPAddress.TryParse(nameserver, out var address)
            ? new Local.Dns.DnsStubResolver(netns.CreateSocketAsync, new IPEndPoint(address, 53))
            : null;

    /// <summary>
    /// What went wrong, as curl's own words would say it, and not HttpClient's "An error occurred while sending the
    /// request." alone: the causes it wraps, and for a connection closed without a response from a pod with no sidecar,
    /// the usual reason (a strict-mTLS destination refuses plaintext, saying nothing: its sidecar's log says so).
    /// </summary>
    internal static string Describe(HttpRequestException e, PodState client)
    {
        if (e.HttpRequestError == HttpRequestError.ResponseEnded)
        {
            return "the connection was closed without a response" + (client.HasSidecar
                ? " (the destination's sidecar logs why)"
                : $" ({client.Namespace}/{client.Name} has no sidecar, so its connection is plaintext: a destination whose sidecar is strict mTLS, "
                    + "the default, refuses it without a word; weft.dev/mtls: permissive on the destination lets it in)");
        }

        return KubeErrors.Describe(e); // the message and those of the exceptions inside it
    }

    /// <summary>A ready pod of the Deployment "namespace/name", picked at random as a Service would spread clients.</summary>
    public static PodState? PickPod(MeshState state, string from, out string? error)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(from);
        var slash = from.IndexOf('/', StringComparison.Ordinal);
        var (ns, deployment) = slash < 0 ? ("default", from) : (from[..slash], from[(slash + 1)..]);
        var pods = state.Pods.Where(p => p.Namespace == ns && p.Deployment == deployment).ToList();
        var ready = pods.Where(p => p.Ready).ToList();
        if (ready.Count > 0)
        {
            error = null;
            return ready[Random.Shared.Next(ready.Count)];
        }

        error = pods.Count == 0
            ? $"no pods of Deployment {ns}/{deployment} in the local mesh (Deployments: {string.Join(", ", state.Pods.Select(p => $"{p.Namespace}/{p.Deployment}").Distinct())})"
            : $"no ready pod of Deployment {ns}/{deployment}: {string.Join("; ", pods.Select(p => $"{p.Name}: {p.Problem ?? "not ready"}"))}";
        return null;
    }
}
