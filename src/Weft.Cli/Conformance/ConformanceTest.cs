namespace Weft.Cli.Conformance;

/// <summary>One conformance case file (format: shared/conformance/cases/SCHEMA.md): one upstream test and its cases.</summary>
internal sealed record ConformanceTest
{
    public required string Name { get; init; }
    public string Description { get; init; } = "";
    public IReadOnlyList<string> Features { get; init; } = [];
    public bool Provisional { get; init; }

    /// <summary>The case file, full path.</summary>
    public required string File { get; init; }

    /// <summary>The base manifests, full path.</summary>
    public required string Base { get; init; }

    /// <summary>The test's manifests, full paths, applied after the base and removed after the test.</summary>
    public IReadOnlyList<string> Manifests { get; init; } = [];

    public IReadOnlyList<ConformanceCase> Cases { get; init; } = [];

    /// <summary>A gRPC test: it needs GRPCRoute or sends grpc:// requests.</summary>
    public bool IsGrpc => Features.Contains("GRPCRoute") || Cases.Any(c => c.Request.IsGrpc);
}

internal sealed record ConformanceCase
{
    public required string Name { get; init; }

    /// <summary>The client: "namespace/deployment".</summary>
    public required string From { get; init; }

    public required CaseRequest Request { get; init; }

    /// <summary>How many requests to send; more than one means the distribution is checked, not each response.</summary>
    public int Count { get; init; } = 1;

    public required CaseExpectation Expect { get; init; }

    public string FromNamespace => From[..From.IndexOf('/', StringComparison.Ordinal)];

    public string FromDeployment => From[(From.IndexOf('/', StringComparison.Ordinal) + 1)..];
}

internal sealed record CaseRequest
{
    /// <summary>As written: <c>http://echo/path</c>, <c>http://{target}/</c>, <c>grpc://echo:7070</c>.</summary>
    public required string Url { get; init; }

    public string Method { get; init; } = "GET";

    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

    public CaseTarget? Target { get; init; }

    public bool IsGrpc => Url.StartsWith("grpc://", StringComparison.OrdinalIgnoreCase);
}

/// <summary>Where the connection goes instead of the URL's host: a Service's ClusterIP or a Deployment's pod IP.</summary>
internal sealed record CaseTarget(string Kind, string Name, int Port)
{
    public const string ClusterIP = "ClusterIP";
    public const string PodIP = "PodIP";
}

internal sealed record CaseExpectation
{
    /// <summary>Accepted statuses: HTTP codes ("200") or gRPC status names ("OK"); default 200.</summary>
    public IReadOnlyList<string> Status { get; init; } = ["200"];

    /// <summary>The responding pod's name starts with this; null accepts any (and proxy-generated responses).</summary>
    public string? Backend { get; init; }

    public string? Path { get; init; }

    public string? Location { get; init; }

    public IReadOnlyList<KeyValuePair<string, string>> RequestHeaders { get; init; } = [];

    public IReadOnlyList<string> AbsentRequestHeaders { get; init; } = [];

    public IReadOnlyList<KeyValuePair<string, string>> ResponseHeaders { get; init; } = [];

    public IReadOnlyList<string> AbsentResponseHeaders { get; init; } = [];

    /// <summary>Share of responses per backend pod-name prefix, for batch cases.</summary>
    public IReadOnlyDictionary<string, double>? Distribution { get; init; }

    public double Tolerance { get; init; } = 0.05;
}
