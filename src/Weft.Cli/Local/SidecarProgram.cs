namespace Weft.Cli.Local;

/// <summary>
/// The program a pod's sidecar runs as: a native <c>weft-proxy</c> binary (Native AOT, DESIGN decision 3), or, when
/// <see cref="NativeBinary"/> is null, this weft as <c>weft proxy</c> (JIT). Both take the same command line.
/// </summary>
internal sealed record SidecarProgram(string? NativeBinary)
{
    public static readonly SidecarProgram Jit = new((string?)null);
}
