namespace Weft.Cli.Install;

/// <summary>
/// One Gateway API CRD Weft reads: its name (<c>plural.group</c>), the vendored file that defines it
/// (<c>deploy/crds/</c>, embedded in the binary), its kind, and whether Weft needs it from the experimental channel.
/// </summary>
internal sealed record GatewayApiCrd(string Name, string File, string Kind, bool NeedsExperimental);
