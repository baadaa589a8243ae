using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Weft.Api;
using Weft.Api.Model;
using Weft.Cli.Client;
using Weft.Cli.Local;
using Weft.Echo;
using Weft.Proxy.Security;
using Weft.Routing;
using Weft.Routing.Filters;
using Weft.Routing.Matching;
using Weft.Routing.Planning;
using Weft.Routing.Policy;

namespace Weft.Cli.Conformance;

/// <summary>
/// Runs conformance cases through the compiled route tables without starting anything: the manifests are admitted as the
/// local cluster would (ClusterIPs, one ready pod per replica built by <see cref="DeploymentPod"/> as the live mesh builds
/// it, EndpointSlices from selectors), each request is compiled for its client's namespace and level
/// (<see cref="MeshModel.Compile(string, string, int, string?)"/>) and goes through <see cref="RouteTable"/> and
/// <see cref="RequestPlanner"/>, or, for a TCP or TLS policy, <see cref="ConnectionPlanner"/> (the proxy's own decision
/// code), and a simulated echo backend answers. The checks are the live runner's (<see cref="CaseCheck"/>), and so is the
/// rule for which tests run (<see cref="ConformanceProfiles.SkipReason"/>).
/// </summary>
internal static class OfflineConformance
{
    public static TestResult Run(ConformanceTest test, int seed = 1)
    {
        ArgumentNullException.ThrowIfNull(test);
        if (ConformanceProfiles.SkipReason(test) is { } reason)
        {
            return new TestResult(test, [.. test.Cases.Select(c => new CaseResult(test.Name, c.Name, Outcome.Skipped, reason, TimeSpan.Zero))]);
        }

        var random = new Random(seed);
        var cluster = Admit(test, random, out var error);
        if (cluster is null)
        {
            return new TestResult(test, [.. test.Cases.Select(c => new CaseResult(test.Name, c.Name, Outcome.Failed, error ?? "", TimeSpan.Zero))]);
        }

        var results = new List<CaseResult>();
        foreach (var testCase in test.Cases)
        {
            var started = Stopwatch.GetTimestamp();
            var failure = RunCase(cluster, testCase, random);
            results.Add(new CaseResult(test.Name, testCase.Name, failure is null ? Outcome.Passed : Outcome.Failed, failure ?? "", Stopwatch.GetElapsedTime(started)));
        }

        return new TestResult(test, results);
    }

    /// <summary>The test's base and manifests admitted as the local cluster admits them; null (with why) if they do not load.</summary>
    internal static AdmittedCluster? Admit(ConformanceTest test, Random random, out string? error)
    {
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(random);
        var loaded = ManifestLoader.LoadPaths([test.Base, .. test.Manifests]);
        if (loaded.HasProblems)
        {
            error = string.Join("; ", loaded.Problems.Select(p => p.ToString()));
            return null;
        }

        error = null;
        return AdmittedCluster.Admit(loaded.Objects, random);
    }

    private static string? RunCase(AdmittedCluster cluster, ConformanceCase testCase, Random random)
    {
        // The client's sidecar compiles for the client's namespace and level (discovery's ClientLevel, the pod's weft.dev/mesh).
        if (cluster.PodOf(testCase.FromNamespace, testCase.FromDeployment) is not { } client)
        {
            return $"no pod of {testCase.From} to send from";
        }

        var level = MeshLevels.Of(client);
        if (level == MeshLevels.Off)
        {
            return $"{client.Key} has no sidecar ({MeshLevels.Key}: {MeshLevels.Off}); the offline runner sends from meshed pods only";
        }

        var (request, error) = Prepare(cluster, testCase);
        if (request is null)
        {
            return error;
        }

        var from = new Sender(testCase.FromNamespace, level);

        // gRPC: RequestPlanner.PlanGrpc decides, statuses are gRPC status names (OK, UNAVAILABLE, UNIMPLEMENTED).
        var grpc = testCase.Request.IsGrpc;
        var expect = testCase.Expect;
        try
        {
            if (testCase.Count > 1 && expect.Distribution is not null)
            {
                var responses = new List<(string Status, string? Backend)>();
                for (var i = 0; i < testCase.Count; i++)
                {
                    if (grpc)
                    {
                        var g = SendGrpc(cluster, from, request, random);
                        responses.Add((g.StatusName, EchoResponse.Parse(g.Message).Hostname));
                    }
                    else
                    {
                        var r = Send(cluster, from, request, random);
                        responses.Add((r.StatusCode.ToString(CultureInfo.InvariantCulture), EchoResponse.Parse(r.BodyText).Hostname));
                    }
                }

                return CaseCheck.CheckDistribution(expect, responses);
            }

            return grpc
                ? CaseCheck.CheckGrpc(expect, SendGrpc(cluster, from, request, random))
                : CaseCheck.Check(expect, Send(cluster, from, request, random));
        }
        catch (HttpRequestException e)
        {
            return $"request failed: {e.Message}"; // as the live runner words a connection its client could not use
        }
    }

    /// <summary>Who sends: the client pod's namespace and its mesh level (l7 or l4).</summary>
    private sealed record Sender(string Namespace, string Level);

    /// <summary>The request the live runner would send: the URL's {target} and the connection target resolved.</summary>
    private static (MeshRequest? Request, string? Error) Prepare(AdmittedCluster cluster, ConformanceCase testCase)
    {
        var url = testCase.Request.IsGrpc
            ? "http" + testCase.Request.Url["grpc".Length..].TrimEnd('/') + "/proto.EchoTestService/Echo"
            : testCase.Request.Url;
        (url, var connectTo, var error) = CaseTargets.Resolve(url, testCase.Request.Target, testCase.FromNamespace, (target, ns) =>
            target.Kind == CaseTarget.ClusterIP
                ? cluster.Services.FirstOrDefault(s => s.Namespace == ns && s.Name == target.Name)?.Spec.ClusterIP
                : cluster.PodOf(ns, target.Name)?.PodIP);
        if (error is not null)
        {
            return (null, error);
        }

        return (new MeshRequest
        {
            Url = new Uri(url),
            Method = testCase.Request.IsGrpc ? "POST" : testCase.Request.Method,
            Headers = testCase.Request.Headers,
            ConnectTo = connectTo,
        }, null);
    }

    /// <summary>
    /// The plan of a connection whose policy is TCP or TLS (a TCPRoute or TLSRoute port, or any port for an l4 client):
    /// the proxy tunnels it without reading it (<c>L4Proxy</c>), so no HTTP rule, filter or answer applies; null for a
    /// port whose requests are planned one by one.
    /// </summary>
    private static ConnectionPlan? Tunnelled(DestinationPolicy policy, Random random) =>
        PolicyProtocol.IsTunnelled(policy.Protocol)
            ? ConnectionPlanner.Plan(policy, serverName: null, random.NextDouble()) // plain HTTP or h2c: no ClientHello, no SNI
            : null;

    /// <summary>The destination's route table, built once per compiled policy (the model caches its policies).</summary>
    private static RouteTable TableOf(DestinationPolicy policy) => Tables.GetValue(policy, RouteTable.Build);

    private static readonly ConditionalWeakTable<DestinationPolicy, RouteTable> Tables = new();

    private static string Closed(ConnectionPlan plan) => $"the sidecar closed the connection ({plan.Rejected})";

    /// <summary>A gRPC call to the echo's <c>proto.EchoTestService/Echo</c>, planned as the proxy will (PlanGrpc).</summary>
    private static MeshGrpcResponse SendGrpc(AdmittedCluster cluster, Sender client, MeshRequest request, Random random)
    {
        var (host, port) = request.Target;
        var policy = cluster.Model.Compile(client.Namespace, host, port, client.Level);
        if (policy is null)
        {
            return new MeshGrpcResponse { Status = GrpcStatusCodes.Unavailable, Detail = $"{host}:{port} is not a mesh destination" };
        }

        var headers = new HeaderList();
        foreach (var (name, value) in request.Headers.Where(h => !h.Key.Equals("Host", StringComparison.OrdinalIgnoreCase)))
        {
            headers.Append(name.ToLowerInvariant(), value);
        }

        if (Tunnelled(policy, random) is { } connection)
        {
            return connection.Backend is { } tunnelled
                ? new MeshGrpcResponse { Status = GrpcStatusCodes.Ok, Message = EchoBody(tunnelled, null, "/proto.EchoTestService/Echo", headers, null, "POST", random) }
                : new MeshGrpcResponse { Status = GrpcStatusCodes.Unavailable, Detail = Closed(connection) };
        }

        var plan = RequestPlanner.PlanGrpc(TableOf(policy), "proto.EchoTestService", "Echo", headers, port, random.NextDouble());
        if (plan.Respond)
        {
            return new MeshGrpcResponse { Status = plan.GrpcStatus ?? GrpcStatusCodes.Unknown, Detail = plan.Message ?? "" };
        }

        var body = EchoBody(plan.Backend!, plan.Host, plan.Path, headers, null, "POST", random);
        var responseHeaders = new HeaderList();
        foreach (var modifier in plan.ResponseModifiers)
        {
            HeaderModification.Apply(modifier, responseHeaders);
        }

        return new MeshGrpcResponse { Status = GrpcStatusCodes.Ok, Message = body, Headers = [.. responseHeaders.All] };
    }

    private static MeshResponse Send(AdmittedCluster cluster, Sender client, MeshRequest request, Random random)
    {
        var (host, port) = request.Target;
        var policy = cluster.Model.Compile(client.Namespace, host, port, client.Level);
        if (policy is null)
        {
            return Answer(502, $"{host}:{port} is not a mesh destination");
        }

        var headers = new HeaderList();
        headers.Set("Host", request.HostHeader);
        foreach (var (name, value) in request.Headers.Where(h => !h.Key.Equals("Host", StringComparison.OrdinalIgnoreCase)))
        {
            headers.Append(name, value);
        }

        var pathAndQuery = request.Url.PathAndQuery;
        var q = pathAndQuery.IndexOf('?', StringComparison.Ordinal);
        var (path, query) = q < 0 ? (pathAndQuery, (string?)null) : (pathAndQuery[..q], pathAndQuery[(q + 1)..]);
        if (Tunnelled(policy, random) is { } connection)
        {
            var tunnelled = connection.Backend ?? throw new HttpRequestException(Closed(connection));
            return new MeshResponse { StatusCode = 200, Body = Encoding.UTF8.GetBytes(EchoBody(tunnelled, null, path, headers, query, request.Method, random)) };
        }

        var plan = RequestPlanner.Plan(TableOf(policy), request.Method, path, query, headers, port, random.NextDouble());
        if (plan.Respond)
        {
            var response = Answer(plan.Status, plan.Message ?? "");
            return plan.Location is null ? response : response with { Headers = [new("Location", plan.Location)] };
        }

        var body = EchoBody(plan.Backend!, plan.Host, plan.Path, headers, query, request.Method, random);
        var responseHeaders = new HeaderList();
        foreach (var modifier in plan.ResponseModifiers)
        {
            HeaderModification.Apply(modifier, responseHeaders);
        }

        return new MeshResponse { StatusCode = 200, Headers = [.. responseHeaders.All], Body = Encoding.UTF8.GetBytes(body) };
    }

    /// <summary>
    /// The simulated echo backend on one of <paramref name="backend"/>'s endpoints: it reports the pod that answered, the
    /// Host (<paramref name="host"/> when a rewrite set one), the path and the headers it received.
    /// </summary>
    private static string EchoBody(BackendPolicy backend, string? host, string path, HeaderList headers, string? query, string method, Random random)
    {
        // An external backend (XBackend) has no endpoints in the policy: the simulated echo answers as its host.
        var endpoint = backend.External is { } external
            ? new EndpointPolicy { Address = external.Hostname, Port = external.Port }
            : backend.Endpoints[random.Next(backend.Endpoints.Count)];
        var pod = endpoint.Pod is { } p ? p[(p.IndexOf('/', StringComparison.Ordinal) + 1)..] : endpoint.Address;
        var body = new StringBuilder()
            .Append(EchoField.Host).Append('=').Append(host ?? headers.Get("Host")).Append('\n')
            .Append(EchoField.Url).Append('=').Append(path).Append(query is null ? "" : "?" + query).Append('\n')
            .Append(EchoField.Method).Append('=').Append(method).Append('\n');
        foreach (var (name, value) in headers.All.Where(h => !h.Key.Equals("Host", StringComparison.OrdinalIgnoreCase)).OrderBy(h => h.Key, StringComparer.OrdinalIgnoreCase))
        {
            body.Append(EchoField.RequestHeader).Append('=').Append(name).Append(':').Append(value).Append('\n');
        }

        body.Append(EchoField.Hostname).Append('=').Append(pod).Append('\n');
        return body.ToString();
    }

    private static MeshResponse Answer(int status, string message) =>
        new() { StatusCode = status, Body = Encoding.UTF8.GetBytes("weft: " + message + "\n") };
}
