namespace Weft.Cli.Local;

/// <summary>
/// <c>weft up --sidecar auto|aot|jit</c>: the program each pod's sidecar runs as. By default the Native AOT
/// <c>weft-proxy</c> (it starts in milliseconds and uses a third of the memory), the first of: the binary
/// <c>WEFT_PROXY_BIN</c> names; a native <c>weft-proxy</c> beside weft (an installation, as the image's
/// <c>/usr/local/bin</c>); in a source tree, <c>artifacts/weft-proxy/weft-proxy</c> when no source of it changed after
/// it was built (<see cref="SourceTreeSidecar"/>). Otherwise the JIT <c>weft proxy</c>, and the line says why.
/// </summary>
internal static class SidecarChoice
{
    /// <summary>The Native AOT sidecar when there is one, else the JIT one (the default).</summary>
    public const string Auto = "auto";

    /// <summary>The Native AOT sidecar, or an error.</summary>
    public const string Aot = "aot";

    /// <summary>The JIT sidecar (<c>weft proxy</c>), whatever is built.</summary>
    public const string Jit = "jit";

    /// <summary>Names the sidecar binary to run, overriding the rest (bench/run.sh sets it).</summary>
    public const string OverrideVariable = "WEFT_PROXY_BIN";

    /// <summary>For this weft process: its environment and its own directory.</summary>
    public static (SidecarProgram? Sidecar, string Line) Decide(string requested) =>
        Decide(requested, Environment.GetEnvironmentVariable(OverrideVariable), AppContext.BaseDirectory);

    /// <summary>
    /// The sidecar to run, with the line that says which; or null, with the reason as the line, when
    /// <paramref name="requested"/> cannot be had here.
    /// </summary>
    public static (SidecarProgram? Sidecar, string Line) Decide(string requested, string? overrideBinary, string cliDirectory)
    {
        ArgumentNullException.ThrowIfNull(requested);
        ArgumentNullException.ThrowIfNull(cliDirectory);
        if (requested == Jit)
        {
            return (SidecarProgram.Jit, "sidecars: JIT (weft proxy), asked for");
        }

        if (!string.IsNullOrEmpty(overrideBinary))
        {
            var binary = Path.GetFullPath(overrideBinary);
            return File.Exists(binary)
                ? (new SidecarProgram(binary), $"sidecars: {binary} ({OverrideVariable})")
                : (null, $"{OverrideVariable}={overrideBinary}: no such file");
        }

        var (native, why) = FindNative(cliDirectory);
        if (native is not null)
        {
            return (new SidecarProgram(native), $"sidecars: weft-proxy (Native AOT, {native})");
        }

        return requested == Aot
            ? (null, $"--sidecar aot: no Native AOT sidecar here: {why}")
            : (SidecarProgram.Jit, $"sidecars: JIT (weft proxy), not Native AOT: {why}");
    }

    /// <summary>The native sidecar for a weft in <paramref name="cliDirectory"/>, or why there is none.</summary>
    private static (string? Binary, string Why) FindNative(string cliDirectory)
    {
        // An installation: weft-proxy beside weft. (A weft-proxy beside weft-proxy.dll is the JIT apphost a build of
        // the CLI copies there, not the native binary.)
        var beside = Path.Combine(cliDirectory, "weft-proxy");
        if (File.Exists(beside) && !File.Exists(beside + ".dll"))
        {
            return (beside, "");
        }

        if (SourceTreeSidecar.Above(cliDirectory) is not { } tree)
        {
            return (null, $"none beside weft in {cliDirectory}");
        }

        return tree.Unusable() is { } reason ? (null, reason) : (tree.Binary, "");
    }
}
