namespace Weft.Cli.Conformance;

/// <summary>
/// The mesh conformance profiles and features (gamma-spec (c)) and the features Weft claims. Upstream's counting rules
/// (conformance/utils/suite/profiles.go, reports.go; cases/INDEX.md): a test counts toward a profile only when all its
/// features are in that profile's core ∪ extended set; it counts as core when all are core, else as extended.
/// </summary>
internal static class ConformanceProfiles
{
    public static readonly IReadOnlyList<string> MeshExtendedFeatures = Weft.Routing.MeshFeatures.MeshExtended;

    public static readonly IReadOnlyList<Profile> All =
    [
        new("MESH-HTTP", ["Mesh", "HTTPRoute"], MeshExtendedFeatures),
        new("MESH-GRPC", ["Mesh", "GRPCRoute"], MeshExtendedFeatures),
    ];

    /// <summary>What Weft claims (<see cref="Weft.Routing.MeshFeatures.Supported"/>, also written to an accepted XMesh's status).</summary>
    public static readonly IReadOnlySet<string> SupportedFeatures = Weft.Routing.MeshFeatures.Supported;

    /// <summary>A test runs only when all its features are supported.</summary>
    public static bool IsSupported(IEnumerable<string> features, IReadOnlySet<string> supported) => features.All(supported.Contains);

    /// <summary>
    /// Why a test does not run (the live and the offline runner alike), or null when it runs: only a feature Weft does not
    /// claim skips a test, and the reason names every such feature.
    /// </summary>
    public static string? SkipReason(ConformanceTest test)
    {
        ArgumentNullException.ThrowIfNull(test);
        var unclaimed = test.Features.Where(f => !SupportedFeatures.Contains(f)).ToList();
        return unclaimed.Count == 0 ? null : $"needs features Weft does not claim: {string.Join(", ", unclaimed)}";
    }
}

/// <summary>A conformance profile: its core and extended features.</summary>
internal sealed record Profile(string Name, IReadOnlyList<string> Core, IReadOnlyList<string> Extended)
{
    /// <summary>Null when the test does not count toward this profile; otherwise whether it counts as core.</summary>
    public bool? CountsAsCore(IReadOnlyList<string> features)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (!features.All(f => Core.Contains(f) || Extended.Contains(f)))
        {
            return null;
        }

        return features.All(Core.Contains);
    }
}
