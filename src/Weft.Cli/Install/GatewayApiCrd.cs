namespace Weft.Cli.Install;

/// <summary>
/// One Gateway API CRD Weft reads: its name (<c>plural.group</c>), the vendored file that defines it
/// (<c>deploy/crds/</c>, embedded in the binary), its kind, whether Weft needs it from the experimental channel, and
/// whether a cluster may go without it (<paramref name="Optional"/>: its kind then reads as empty, as the controller's
/// informer takes a kind whose CRD is not installed; <c>weft check</c> says so and passes).
/// </summary>
internal sealed record GatewayApiCrd(string Name, string File, string Kind, bool NeedsExperimental, bool Optional = false);
