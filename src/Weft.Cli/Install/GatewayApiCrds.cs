using System.Globalization;
using System.Reflection;

namespace Weft.Cli.Install;

/// <summary>
/// The Gateway API CRDs Weft reads, the release <c>weft install --crds</c> carries (experimental channel) and the range
/// of releases <c>weft check</c> accepts on a cluster. One table: install, <c>deploy/crds/</c> and check read it.
/// </summary>
internal static class GatewayApiCrds
{
    /// <summary>The release vendored in <c>deploy/crds/</c>.</summary>
    public const string PinnedVersion = "v1.6.1";

    /// <summary>
    /// The oldest release Weft reads: v1.4 has XMesh (GEP-3949) and every route kind Weft reads at a version it reads
    /// (TCPRoute and TLSRoute at v1alpha2 before v1.5), and BackendTLSPolicy at v1. XBackend came in v1.6: before it the
    /// kind is simply not there (its CRD is <see cref="GatewayApiCrd.Optional"/>).
    /// </summary>
    public const string MinimumVersion = "v1.4.0";

    public const string BundleVersionAnnotation = "gateway.networking.k8s.io/bundle-version";

    public const string ChannelAnnotation = "gateway.networking.k8s.io/channel";

    public const string ExperimentalChannel = "experimental";

    /// <summary>In apply order (no CRD refers to another, so any order would do).</summary>
    public static IReadOnlyList<GatewayApiCrd> All { get; } =
    [
        new("httproutes.gateway.networking.k8s.io", "gateway.networking.k8s.io_httproutes.yaml", "HTTPRoute", NeedsExperimental: false),
        new("grpcroutes.gateway.networking.k8s.io", "gateway.networking.k8s.io_grpcroutes.yaml", "GRPCRoute", NeedsExperimental: false),
        new("tcproutes.gateway.networking.k8s.io", "gateway.networking.k8s.io_tcproutes.yaml", "TCPRoute", NeedsExperimental: true),
        new("tlsroutes.gateway.networking.k8s.io", "gateway.networking.k8s.io_tlsroutes.yaml", "TLSRoute", NeedsExperimental: true),
        new("referencegrants.gateway.networking.k8s.io", "gateway.networking.k8s.io_referencegrants.yaml", "ReferenceGrant", NeedsExperimental: false),
        new("xmeshes.gateway.networking.x-k8s.io", "gateway.networking.x-k8s.io_xmeshes.yaml", "XMesh", NeedsExperimental: true),

        // Issue 17's kinds, optional: XBackend is new in v1.6 (later than MinimumVersion), and a mesh without external
        // destinations or backend policies needs none of them.
        new("xbackends.gateway.networking.x-k8s.io", "gateway.networking.x-k8s.io_xbackends.yaml", "XBackend", NeedsExperimental: true, Optional: true),
        new("backendtlspolicies.gateway.networking.k8s.io", "gateway.networking.k8s.io_backendtlspolicies.yaml", "BackendTLSPolicy", NeedsExperimental: false, Optional: true),
        new("xbackendtrafficpolicies.gateway.networking.x-k8s.io", "gateway.networking.x-k8s.io_xbackendtrafficpolicies.yaml", "XBackendTrafficPolicy", NeedsExperimental: true, Optional: true),
    ];

    /// <summary>The vendored file's text, as upstream wrote it (embedded from <c>deploy/crds/</c>).</summary>
    public static string Text(GatewayApiCrd crd)
    {
        ArgumentNullException.ThrowIfNull(crd);
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("crds/" + crd.File)
            ?? throw new InvalidOperationException($"the weft binary lacks its embedded CRD {crd.File}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>
    /// Whether a bundle-version annotation names a release Weft reads: <see cref="MinimumVersion"/> or later, any patch
    /// or pre-release of it (<c>v1.5.0-rc.1</c>), and a development build (<c>v0.0.0-dev</c>, as upstream's own CI
    /// stamps unreleased CRDs).
    /// </summary>
    public static bool IsSupported(string? bundleVersion) =>
        bundleVersion == "v0.0.0-dev"
        || (TryParse(bundleVersion, out var version) && TryParse(MinimumVersion, out var minimum) && version >= minimum);

    private static bool TryParse(string? text, out Version version)
    {
        version = new Version(0, 0);
        if (text is null || !text.StartsWith('v'))
        {
            return false;
        }

        var core = text[1..].Split('-', '+')[0];
        var parts = core.Split('.');
        if (parts.Length is < 2 or > 3 || !parts.All(p => p.Length > 0 && p.All(char.IsAsciiDigit)))
        {
            return false;
        }

        version = new Version(
            int.Parse(parts[0], CultureInfo.InvariantCulture),
            int.Parse(parts[1], CultureInfo.InvariantCulture),
            parts.Length == 3 ? int.Parse(parts[2], CultureInfo.InvariantCulture) : 0);
        return true;
    }
}
