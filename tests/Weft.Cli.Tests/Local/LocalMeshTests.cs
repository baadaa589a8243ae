using Weft.Cli.Local;
using Weft.Cli.Tests.Infrastructure;
using Weft.Tests.Shared;

namespace Weft.Cli.Tests.Local;

/// <summary>A local mesh's own rules, with no pod in its manifests (none starts).</summary>
public sealed class LocalMeshTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("weft-mesh-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Fact]
    public async Task A_second_mesh_of_the_same_run_directory_is_refused_until_the_first_stops()
    {
        var manifests = Directory.CreateDirectory(Path.Combine(_work, "manifests")).FullName;
        var options = new LocalMeshOptions { RunDirectory = Path.Combine(_work, "run") };
        await using (var first = await LocalMesh.StartAsync(manifests, options, CancellationToken.None))
        {
            var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => LocalMesh.StartAsync(manifests, options, CancellationToken.None));

            Assert.Equal($"a local mesh of {manifests} is already running (run directory {options.RunDirectory})", refused.Message);
            Assert.True(first.ControlPlane.Store.Version >= 0); // the first one is untouched
        }

        await using var second = await LocalMesh.StartAsync(manifests, options, CancellationToken.None);
    }

    [Fact]
    public async Task A_weft_dev_setting_Weft_skips_is_a_warning_on_the_progress_output()
    {
        var manifests = Directory.CreateDirectory(Path.Combine(_work, "manifests")).FullName;
        File.WriteAllText(Path.Combine(manifests, "shop.yaml"), SkippedSettings.Manifests);
        var text = new StringWriter();
        var progress = TextWriter.Synchronized(text);

        await using var mesh = await LocalMesh.StartAsync(manifests, new LocalMeshOptions { RunDirectory = Path.Combine(_work, "run"), Progress = progress }, CancellationToken.None);

        string[] expected = [$"warning: {SkippedSettings.DeploymentProblem}", $"warning: {SkippedSettings.NamespaceProblem}"];
        await Eventually.TrueAsync(
            () => Array.TrueForAll(expected, line => text.ToString().Contains(line, StringComparison.Ordinal)),
            "both skipped settings are named",
            TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task The_state_records_the_mtls_default_for_weft_explain()
    {
        var manifests = Directory.CreateDirectory(Path.Combine(_work, "manifests")).FullName;

        await using var mesh = await LocalMesh.StartAsync(
            manifests, new LocalMeshOptions { RunDirectory = Path.Combine(_work, "run"), MtlsDefault = Weft.Proxy.Security.MtlsMode.Permissive }, CancellationToken.None);

        Assert.Equal("permissive", mesh.State().MtlsDefault);
    }

    [Fact]
    public async Task The_state_records_the_default_inbound_and_outbound_policies_for_weft_explain()
    {
        var manifests = Directory.CreateDirectory(Path.Combine(_work, "manifests")).FullName;

        await using var mesh = await LocalMesh.StartAsync(
            manifests, new LocalMeshOptions { RunDirectory = Path.Combine(_work, "run"), DefaultInboundPolicy = "deny", DefaultOutboundPolicy = "registry-only" }, CancellationToken.None);

        Assert.Equal(("deny", "registry-only"), (mesh.State().DefaultInboundPolicy, mesh.State().DefaultOutboundPolicy));
    }
}
