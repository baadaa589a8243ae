using Weft.Routing;

namespace Weft.Proxy.Security;

/// <summary>
/// The one reading and spelling of an <see cref="MtlsMode"/>: <c>strict</c> or <c>permissive</c>, as the
/// <c>weft.dev/mtls</c> label or annotation (<see cref="MeshLevels.RequestedMtls"/>), <c>--mtls</c> and
/// <c>weft up --mtls-default</c> write it.
/// </summary>
public static class MtlsModes
{
    /// <summary>The values, in the order a flag lists them.</summary>
    public static IReadOnlyList<string> Names => MeshLevels.AllMtls;

    /// <summary>The mode <paramref name="value"/> names, exactly as written; false for anything else.</summary>
    public static bool TryParse(string? value, out MtlsMode mode)
    {
        switch (value)
        {
            case MeshLevels.MtlsStrict:
                mode = MtlsMode.Strict;
                return true;
            case MeshLevels.MtlsPermissive:
                mode = MtlsMode.Permissive;
                return true;
            default:
                mode = MtlsMode.Strict;
                return false;
        }
    }

    /// <summary>How <paramref name="mode"/> is written in a label, an annotation or a flag.</summary>
    public static string Name(this MtlsMode mode) => mode == MtlsMode.Permissive ? MeshLevels.MtlsPermissive : MeshLevels.MtlsStrict;
}
