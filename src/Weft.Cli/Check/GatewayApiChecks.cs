using k8s;
using Weft.Cli.Install;

namespace Weft.Cli.Check;

/// <summary>
/// Each Gateway API CRD Weft reads: installed (an optional one may be missing), of a supported release, of the channel
/// Weft needs it from.
/// </summary>
internal static class GatewayApiChecks
{
    public const string Group = "gateway-api";

    public static string Hint => $"install them: `weft install --crds | kubectl apply --server-side -f -` (Gateway API {GatewayApiCrds.PinnedVersion}, experimental channel)";

    public static async Task<CheckResult> CrdAsync(CheckContext context, GatewayApiCrd crd, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(crd);
        var name = $"crd/{crd.Name}";
        var found = await ApiReads.OrNullAsync(() => context.Client.ApiextensionsV1.ReadCustomResourceDefinitionAsync(crd.Name, cancellationToken: ct)).ConfigureAwait(false);
        if (found is null)
        {
            return crd.Optional
                ? CheckResult.Pass(Group, name, $"CRD {crd.Name} ({crd.Kind}) is not installed: optional, Weft reads no {crd.Kind} until it is")
                : CheckResult.Fail(Group, name, $"CRD {crd.Name} ({crd.Kind}) is not installed", Hint);
        }

        var annotations = found.Metadata.Annotations ?? new Dictionary<string, string>();
        var version = annotations.TryGetValue(GatewayApiCrds.BundleVersionAnnotation, out var v) ? v : null;
        var channel = annotations.TryGetValue(GatewayApiCrds.ChannelAnnotation, out var c) ? c : null;
        if (!GatewayApiCrds.IsSupported(version))
        {
            return CheckResult.Fail(Group, name,
                $"CRD {crd.Name} is of Gateway API {version ?? "(no bundle-version)"}; Weft reads {GatewayApiCrds.MinimumVersion} or later", Hint);
        }

        if (crd.NeedsExperimental && channel != GatewayApiCrds.ExperimentalChannel)
        {
            return CheckResult.Fail(Group, name,
                $"CRD {crd.Name} is of the {channel ?? "(unnamed)"} channel; Weft reads {crd.Kind} from the experimental channel", Hint);
        }

        return CheckResult.Pass(Group, name, $"CRD {crd.Name} ({version}, {channel ?? "no"} channel)");
    }
}
