using Weft.Cli.Local;

namespace Weft.Cli.Conformance;

/// <summary>How to run conformance case files.</summary>
internal sealed record ConformanceRunnerOptions
{
    /// <summary>The case files' directory (shared/conformance/cases).</summary>
    public required string CasesDirectory { get; init; }

    /// <summary>Run only these tests (upstream names); empty runs all.</summary>
    public IReadOnlyList<string> RunTests { get; init; } = [];

    /// <summary>One line per case and the summary; also mesh progress when <see cref="Verbose"/>.</summary>
    public TextWriter Output { get; init; } = TextWriter.Null;

    public bool Verbose { get; init; }

    /// <summary>Upstream's MaxTimeToConsistency.</summary>
    public TimeSpan ConvergenceTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Upstream's RequiredConsecutiveSuccesses.</summary>
    public int RequiredConsecutiveSuccesses { get; init; } = 3;

    /// <summary>Upstream's weight tests retry the batch this many times.</summary>
    public int DistributionAttempts { get; init; } = 10;

    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How long the base mesh may take to become ready (upstream: 300 s).</summary>
    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.FromSeconds(180);

    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Where to put the temporary manifests directories and logs; default a new temp directory.</summary>
    public string? WorkDirectory { get; init; }

    public WeftLauncher? Weft { get; init; }

    /// <summary>
    /// Run through an API server (<c>weft conformance --kubeconfig</c>): each mesh is a <c>weft up --kubeconfig</c>, the
    /// tests' manifests are applied through the API, and route status is read back from the API objects.
    /// </summary>
    public Local.Api.ApiServerConnection? ApiServer { get; init; }

    /// <summary>How the local meshes isolate pods (the suite must pass in both).</summary>
    public Isolation Isolation { get; init; } = Isolation.Process;
}
