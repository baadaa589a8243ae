namespace Weft.Cli.Capture;

/// <summary>
/// Which iptables backend writes the rules: the nf_tables one (<c>iptables-nft-*</c>), the legacy x_tables one
/// (<c>iptables-legacy-*</c>), or <see cref="Auto"/>, chosen by <see cref="BackendChoice.Choose"/>. Both can hold rules in
/// the same network namespace at once, and the kernel applies both, so picking the one already in use matters.
/// </summary>
internal enum IptablesMode
{
    Auto,
    Nft,
    Legacy,
}
