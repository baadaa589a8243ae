using System.Globalization;
using System.Text;
using Weft.Api;
using Weft.Api.Model;
using Weft.Cli.Client;
using Weft.Cli.Local;
using Weft.Echo;
using Weft.Routing;
using Weft.Routing.Filters;
using Weft.Routing.Matching;
using Weft.Routing.Planning;

namespace Weft.Cli.Conformance;

/// <summary>
/// Runs conformance cases through the compiled route tables without starting anything: the manifests are admitted as the
/// local cluster would (ClusterIPs, one ready pod per replica, EndpointSlices from selectors), each request goes through
/// <see cref="MeshModel.Compile"/>, <see cref="RouteTable"/> and <see cref="RequestPlanner"/> (the proxy's own decision
/// code), and a simulated echo backend answers. The checks are the live runner's (<see cref="CaseCheck"/>).
/// </summary>
internal static class OfflineConformance
{
    public sealed record Result(string Test, string Case, string? Failure);

    public static IReadOnlyList<Result> Run(ConformanceTest test, int seed = 1)
    {
        var random = new Random(seed);
        var cluster = Admit(test, random, out var error);
        if (cluster is null)
        {
            return [.. test.Cases.Select(c => new Result(test.Name, c.Name, error))];
        }

        var results = new List<Result>();
        foreach (var testCase in test.Cases)
        {
            results.Add(new Result(test.Name, testCase.Name, RunCase(cluster, testCase, random)));
        }

        return results;
    }

    private sealed record Cluster(MeshModel Model, IReadOnlyList<Service> Services, IReadOnlyList<Pod> Pods);

    private static Cluster? Admit(ConformanceTest test, Random random, out string? error)
    {
        var loaded = ManifestLoader.LoadPaths([test.Base, .. test.Manifests]);
        if (loaded.HasProblems)
        {
            error = string.Join("; ", loaded.Problems.Select(p => p.ToString()));
            return null;
        }

        var addresses = new AddressPlan(AddressPlan.MinBlock);
        var objects = loaded.Objects.Select(addresses.Admit).ToList();
        var pods = new List<Pod>();
        foreach (var deployment in objects.OfType<Deployment>())
        {
            var hash = PodNames.TemplateHash(deployment);
            for (var i = 0; i < deployment.Replicas; i++)
            {
                pods.Add(new Pod
                {
                    ApiVersion = "v1",
                    Metadata = new ObjectMeta
                    {
                        Name = PodNames.NewPodName(deployment.Name, hash, random),
                        Namespace = deployment.Namespace,
                        Labels = deployment.Template.Labels,
                    },
                    Spec = deployment.Template.Spec,
                    PodIP = addresses.AllocatePodAddress().ToString(),
                });
            }
        }

        var services = objects.OfType<Service>().ToList();
        var slices = EndpointSliceController.Derive(services, [.. pods.Select(p => new PodStatus(p, Ready: true))]);
        error = null;
        return new Cluster(MeshModel.Build(MeshSnapshot.From([.. objects, .. pods, .. slices])), services, pods);
    }

    private static string? RunCase(Cluster cluster, ConformanceCase testCase, Random random)
    {
        var (request, error) = Prepare(cluster, testCase);
        if (request is null)
        {
            return error;
        }

        // gRPC: RequestPlanner.PlanGrpc decides, statuses are gRPC status names (OK, UNAVAILABLE, UNIMPLEMENTED).
        var grpc = testCase.Request.IsGrpc;
        var expect = testCase.Expect;
        if (testCase.Count > 1 && expect.Distribution is not null)
        {
            var responses = new List<(string Status, string? Backend)>();
            for (var i = 0; i < testCase.Count; i++)
            {
                if (grpc)
                {
                    var g = SendGrpc(cluster, testCase.FromNamespace, request, random);
                    responses.Add((g.StatusName, EchoResponse.Parse(g.Message).Hostname));
                }
                else
                {
                    var r = Send(cluster, testCase.FromNamespace, request, random);
                    responses.Add((r.StatusCode.ToString(CultureInfo.InvariantCulture), EchoResponse.Parse(r.BodyText).Hostname));
                }
            }

            return CaseCheck.CheckDistribution(expect, responses);
        }

        return grpc
            ? CaseCheck.CheckGrpc(expect, SendGrpc(cluster, testCase.FromNamespace, request, random))
            : CaseCheck.Check(expect, Send(cluster, testCase.FromNamespace, request, random));
    }

    /// <summary>The request the live runner would send: the URL's {target} and the connection target resolved.</summary>
    private static (MeshRequest? Request, string? Error) Prepare(Cluster cluster, ConformanceCase testCase)
    {
        var url = testCase.Request.IsGrpc
            ? "http" + testCase.Request.Url["grpc".Length..].TrimEnd('/') + "/proto.EchoTestService/Echo"
            : testCase.Request.Url;
        (url, var connectTo, var error) = CaseTargets.Resolve(url, testCase.Request.Target, testCase.FromNamespace, (target, ns) =>
            target.Kind == CaseTarget.ClusterIP
                ? cluster.Services.FirstOrDefault(s => s.Namespace == ns && s.Name == target.Name)?.Spec.ClusterIP
                : cluster.Pods.Where(p => p.Namespace == ns && p.Name.StartsWith(target.Name + "-", StringComparison.Ordinal)).Select(p => p.PodIP).FirstOrDefault());
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

    /// <summary>A gRPC call to the echo's <c>proto.EchoTestService/Echo</c>, planned as the proxy will (PlanGrpc).</summary>
    private static MeshGrpcResponse SendGrpc(Cluster cluster, string clientNamespace, MeshRequest request, Random random)
    {
        var (host, port) = request.Target;
        var policy = cluster.Model.Compile(clientNamespace, host, port);
        if (policy is null)
        {
            return new MeshGrpcResponse { Status = GrpcStatusCodes.Unavailable, Detail = $"{host}:{port} is not a mesh destination" };
        }

        var headers = new HeaderList();
        foreach (var (name, value) in request.Headers.Where(h => !h.Key.Equals("Host", StringComparison.OrdinalIgnoreCase)))
        {
            headers.Append(name.ToLowerInvariant(), value);
        }

        var plan = RequestPlanner.PlanGrpc(RouteTable.Build(policy), "proto.EchoTestService", "Echo", headers, port, random.NextDouble());
        if (plan.Respond)
        {
            return new MeshGrpcResponse { Status = plan.GrpcStatus ?? GrpcStatusCodes.Unknown, Detail = plan.Message ?? "" };
        }

        var body = EchoBody(plan, headers, null, "POST", random);
        var responseHeaders = new HeaderList();
        foreach (var modifier in plan.ResponseModifiers)
        {
            HeaderModification.Apply(modifier, responseHeaders);
        }

        return new MeshGrpcResponse { Status = GrpcStatusCodes.Ok, Message = body, Headers = [.. responseHeaders.All] };
    }

    private static MeshResponse Send(Cluster cluster, string clientNamespace, MeshRequest request, Random random)
    {
        var (host, port) = request.Target;
        var policy = cluster.Model.Compile(clientNamespace, host, port);
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
        var plan = RequestPlanner.Plan(RouteTable.Build(policy), request.Method, path, query, headers, port, random.NextDouble());
        if (plan.Respond)
        {
            var response = Answer(plan.Status, plan.Message ?? "");
            return plan.Location is null ? response : response with { Headers = [new("Location", plan.Location)] };
        }

        var body = EchoBody(plan, headers, query, request.Method, random);
        var responseHeaders = new HeaderList();
        foreach (var modifier in plan.ResponseModifiers)
        {
            HeaderModification.Apply(modifier, responseHeaders);
        }

        return new MeshResponse { StatusCode = 200, Headers = [.. responseHeaders.All], Body = Encoding.UTF8.GetBytes(body) };
    }

    /// <summary>The simulated echo backend: it reports the pod that answered, the path and the headers it received.</summary>
    private static string EchoBody(RequestPlan plan, HeaderList headers, string? query, string method, Random random)
    {
        var endpoint = plan.Backend!.Endpoints[random.Next(plan.Backend.Endpoints.Count)];
        var pod = endpoint.Pod is { } p ? p[(p.IndexOf('/', StringComparison.Ordinal) + 1)..] : endpoint.Address;
        var body = new StringBuilder()
            .Append(EchoField.Host).Append('=').Append(plan.Host ?? headers.Get("Host")).Append('\n')
            .Append(EchoField.Url).Append('=').Append(plan.Path).Append(query is null ? "" : "?" + query).Append('\n')
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
