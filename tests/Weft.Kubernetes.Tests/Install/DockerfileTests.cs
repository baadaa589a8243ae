using System.Text.RegularExpressions;
using Weft.ControlPlane.Kubernetes;

namespace Weft.Kubernetes.Tests.Install;

/// <summary>
/// The Dockerfile cannot be built here (no docker), so it is held to the code instead: it installs the binaries where
/// <see cref="WeftInstallation"/> says the image keeps them, publishes projects that exist (the sidecar Native AOT),
/// carries iptables for <c>weft init</c>, and runs as the non-root user the Deployment names.
/// </summary>
public sealed partial class DockerfileTests
{
    private static readonly string Dockerfile = File.ReadAllText(Path.Combine(SharedFiles.Repository, "Dockerfile"));

    [Fact]
    public void Binaries_land_where_the_installation_says()
    {
        Assert.Contains($"COPY --from=build {WeftInstallation.CliPath} {WeftInstallation.CliPath}", Dockerfile, StringComparison.Ordinal);
        Assert.Contains($"COPY --from=build {WeftInstallation.ProxyPath} {WeftInstallation.ProxyPath}", Dockerfile, StringComparison.Ordinal);
        Assert.Contains($"install -m 0755 /out/cli/weft {WeftInstallation.CliPath}", Dockerfile, StringComparison.Ordinal);
        Assert.Contains($"install -m 0755 /out/proxy/weft-proxy {WeftInstallation.ProxyPath}", Dockerfile, StringComparison.Ordinal);
        Assert.Contains($"ENTRYPOINT [\"{WeftInstallation.CliPath}\"]", Dockerfile, StringComparison.Ordinal);
        // Side by side: an installed weft up runs the weft-proxy beside it (Weft.Cli's SidecarChoice).
        Assert.Equal(Path.GetDirectoryName(WeftInstallation.CliPath), Path.GetDirectoryName(WeftInstallation.ProxyPath));
    }

    [Fact]
    public void Published_projects_exist_and_name_the_binaries()
    {
        var projects = Publish().Matches(Dockerfile).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(["src/Weft.Proxy/Weft.Proxy.csproj", "src/Weft.Cli/Weft.Cli.csproj"], projects);
        foreach (var (project, assembly) in projects.Zip(["weft-proxy", "weft"]))
        {
            var text = File.ReadAllText(Path.Combine(SharedFiles.Repository, project));
            Assert.Contains($"<AssemblyName>{assembly}</AssemblyName>", text, StringComparison.Ordinal);
        }

        Assert.Contains("-p:WeftAot=true -p:CppCompilerAndLinker=clang", Dockerfile, StringComparison.Ordinal);
        Assert.Contains("--self-contained -p:PublishSingleFile=true -p:PublishReadyToRun=true", Dockerfile, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_context_has_what_the_build_copies()
    {
        foreach (var copied in CopyFromContext().Matches(Dockerfile).SelectMany(m => m.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)[..^1]))
        {
            Assert.True(File.Exists(Path.Combine(SharedFiles.Repository, copied)) || Directory.Exists(Path.Combine(SharedFiles.Repository, copied)), copied);
        }

        var ignored = File.ReadAllLines(Path.Combine(SharedFiles.Repository, ".dockerignore"));
        Assert.DoesNotContain("src/", ignored);
        Assert.DoesNotContain("deploy/", ignored);
    }

    [Fact]
    public void Runtime_has_iptables_and_runs_as_the_deployments_user()
    {
        var runtime = Dockerfile[Dockerfile.LastIndexOf("\nFROM ", StringComparison.Ordinal)..];
        Assert.Contains("install -y --no-install-recommends iptables", runtime, StringComparison.Ordinal);
        Assert.Contains("USER 65532:65532", runtime, StringComparison.Ordinal);
        Assert.StartsWith("\nFROM mcr.microsoft.com/dotnet/runtime-deps:10.0", runtime, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"dotnet publish (\S+\.csproj)")]
    private static partial Regex Publish();

    [GeneratedRegex(@"^COPY (?!--from)(.+)$", RegexOptions.Multiline)]
    private static partial Regex CopyFromContext();
}
