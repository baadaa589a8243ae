namespace Weft.Cli.Local;

/// <summary>
/// How to start this weft as a child process (<c>weft proxy …</c>, <c>weft echo …</c>): the apphost when weft runs as
/// one, otherwise <c>dotnet &lt;path&gt;/weft.dll</c> with the same dotnet host (which is also what happens when weft is
/// hosted in a test process).
/// </summary>
internal sealed record WeftLauncher(string FileName, IReadOnlyList<string> PrefixArguments)
{
    public static WeftLauncher Current()
    {
        var processPath = Environment.ProcessPath;
#pragma warning disable IL3000 // Empty in a single-file weft (the image's), which runs as the apphost above anyway.
        var assembly = typeof(WeftLauncher).Assembly.Location;
#pragma warning restore IL3000
        if (processPath is not null && Path.GetFileNameWithoutExtension(processPath) == "weft")
        {
            return new WeftLauncher(processPath, []);
        }

        if (string.IsNullOrEmpty(assembly))
        {
            assembly = Path.Combine(AppContext.BaseDirectory, "weft.dll");
        }

        return new WeftLauncher(DotnetHost(processPath), [assembly]);
    }

    public ContainerCommand Command(IEnumerable<string> arguments) => new(FileName, [.. PrefixArguments, .. arguments]);

    /// <summary>
    /// The program sidecars run as (<see cref="SidecarChoice"/> decides it for <c>weft up</c>): <c>weft proxy …</c> (JIT)
    /// unless set to a native <c>weft-proxy</c>.
    /// </summary>
    public SidecarProgram Sidecar { get; init; } = SidecarProgram.Jit;

    /// <summary>The sidecar's command: the native binary, or <c>weft proxy</c>, with the same arguments.</summary>
    public ContainerCommand Proxy(IEnumerable<string> arguments) =>
        Sidecar.NativeBinary is { } binary ? new(binary, [.. arguments]) : Command(["proxy", .. arguments]);

    private static string DotnetHost(string? processPath)
    {
        if (processPath is not null && Path.GetFileNameWithoutExtension(processPath) == "dotnet")
        {
            return processPath;
        }

        // The dotnet CLI tells the processes it starts (test hosts among them) where it is.
        var hostPath = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(hostPath) && File.Exists(hostPath))
        {
            return hostPath;
        }

        var root = Environment.GetEnvironmentVariable("DOTNET_ROOT");
        if (!string.IsNullOrEmpty(root) && File.Exists(Path.Combine(root, "dotnet")))
        {
            return Path.Combine(root, "dotnet");
        }

        return "dotnet";
    }
}
