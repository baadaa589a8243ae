namespace Weft.Cli.Capture;

/// <summary>
/// The iptables programs found on a search path. Debian's iptables package installs both backends as
/// <c>iptables-nft-*</c> and <c>iptables-legacy-*</c>, and <c>iptables</c>, <c>iptables-restore</c>, <c>iptables-save</c>
/// pointing at the system's choice; older images only have the plain names, which are then the only backend.
/// </summary>
internal sealed record IptablesBinaries(
    string? NftRestore, string? NftSave, string? LegacyRestore, string? LegacySave, string? PlainRestore, string? PlainSave, string? Iptables)
{
    /// <summary>Whether any <c>iptables*-restore</c> is installed: without one, nothing can be written.</summary>
    public bool AnyRestore => NftRestore is not null || LegacyRestore is not null || PlainRestore is not null;

    public static IptablesBinaries Find(string? searchPath)
    {
        string? Which(string name) => HostProgram.Which(name, searchPath ?? "");
        return new IptablesBinaries(
            Which(RestoreName(IptablesMode.Nft)), Which(SaveName(IptablesMode.Nft)),
            Which(RestoreName(IptablesMode.Legacy)), Which(SaveName(IptablesMode.Legacy)),
            Which("iptables-restore"), Which("iptables-save"), Which("iptables"));
    }

    public static string RestoreName(IptablesMode mode) => $"iptables-{CaptureArguments.FormatMode(mode)}-restore";

    public static string SaveName(IptablesMode mode) => $"iptables-{CaptureArguments.FormatMode(mode)}-save";
}
