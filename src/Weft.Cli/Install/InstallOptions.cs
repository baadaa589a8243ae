namespace Weft.Cli.Install;

/// <summary>What <c>weft install</c> varies: Weft's namespace, the image, the controller's replicas, and whether the CRDs come first.</summary>
internal sealed record InstallOptions
{
    public required string Namespace { get; init; }

    public required string Image { get; init; }

    public int Replicas { get; init; } = 1;

    public bool Crds { get; init; }
}
