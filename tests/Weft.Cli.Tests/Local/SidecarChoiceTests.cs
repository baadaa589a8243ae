using Weft.Cli.Local;
using Weft.Cli.Tests.Infrastructure;

namespace Weft.Cli.Tests.Local;

/// <summary>
/// Which program <c>weft up</c> runs sidecars as (<see cref="SidecarChoice"/>), one test per rule, over source trees
/// and installations laid out in a temporary directory with their files' times set.
/// </summary>
public sealed class SidecarChoiceTests : IDisposable
{
    private static readonly DateTime Sources = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    private static readonly DateTime Built = Sources.AddMinutes(10);
    private static readonly DateTime Later = Built.AddMinutes(10);

    private readonly string _root = Directory.CreateTempSubdirectory("weft-sidecar-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string CliDirectory => Path.Combine(_root, "artifacts", "weft");

    private string NativeSidecar => Path.Combine(_root, "artifacts", "weft-proxy", "weft-proxy");

    [Fact]
    public void Auto_in_a_source_tree_runs_the_native_sidecar_built_after_its_last_source_change()
    {
        SourceTree(built: true);

        var (sidecar, line) = SidecarChoice.Decide("auto", null, CliDirectory);

        Assert.Equal(NativeSidecar, sidecar!.NativeBinary);
        Assert.Equal($"sidecars: weft-proxy (Native AOT, {NativeSidecar})", line);
    }

    [Fact]
    public void A_sidecar_older_than_one_of_its_sources_never_runs_the_JIT_one_does_and_the_line_names_the_source()
    {
        SourceTree(built: true);
        File.SetLastWriteTimeUtc(Path.Combine(_root, "src/Weft.Proxy/Listener.cs"), Later);

        var (sidecar, line) = SidecarChoice.Decide("auto", null, CliDirectory);

        Assert.Equal(SidecarProgram.Jit, sidecar);
        Assert.Equal("sidecars: JIT (weft proxy), not Native AOT: artifacts/weft-proxy/weft-proxy is older than src/Weft.Proxy/Listener.cs (./weft up rebuilds it)", line);
    }

    [Theory]
    [InlineData("src/Weft.Routing/Route.cs")]
    [InlineData("src/Weft.Routing/Weft.Routing.csproj")]
    [InlineData("Directory.Build.props")]
    [InlineData("src/Weft.Proxy/weft-proxy.order")]
    public void A_change_to_a_project_the_sidecar_references_or_to_a_root_build_file_makes_it_stale(string source)
    {
        SourceTree(built: true);
        File.SetLastWriteTimeUtc(Path.Combine(_root, source), Later);

        Assert.Equal(SidecarProgram.Jit, SidecarChoice.Decide("auto", null, CliDirectory).Sidecar);
    }

    [Theory]
    [InlineData("src/Weft.Cli/Program.cs")]
    [InlineData("src/Weft.Proxy/obj/Release/net10.0/Generated.cs")]
    [InlineData("src/Weft.Proxy/bin/Release/net10.0/weft-proxy.deps.json")]
    [InlineData("src/Weft.Proxy/README.md")]
    public void A_change_outside_the_sidecar_s_sources_leaves_it_current(string file)
    {
        SourceTree(built: true);
        Write(file, Later);

        Assert.Equal(NativeSidecar, SidecarChoice.Decide("auto", null, CliDirectory).Sidecar!.NativeBinary);
    }

    [Fact]
    public void A_sidecar_not_built_falls_back_to_JIT_saying_what_builds_it()
    {
        SourceTree(built: false);

        var (sidecar, line) = SidecarChoice.Decide("auto", null, CliDirectory);

        Assert.Equal(SidecarProgram.Jit, sidecar);
        Assert.Equal("sidecars: JIT (weft proxy), not Native AOT: artifacts/weft-proxy/weft-proxy is not built (./weft up builds it)", line);
    }

    [Fact]
    public void What_kept_the_build_script_from_building_it_is_the_fallback_s_reason()
    {
        SourceTree(built: false);
        Write("artifacts/weft-proxy/.unavailable", Later, "clang-14 zlib1g-dev not installed (as root: apt-get install clang-14 zlib1g-dev; or WEFT_AOT_CC=another clang)\n");

        var (sidecar, line) = SidecarChoice.Decide("auto", null, CliDirectory);

        Assert.Equal(SidecarProgram.Jit, sidecar);
        Assert.Equal("sidecars: JIT (weft proxy), not Native AOT: clang-14 zlib1g-dev not installed (as root: apt-get install clang-14 zlib1g-dev; or WEFT_AOT_CC=another clang)", line);
    }

    [Fact]
    public async Task Without_the_toolchain_and_not_root_weft_up_runs_the_JIT_sidecar_and_gives_the_build_script_s_reason()
    {
        SourceTree(built: false);
        var repository = SourceTreeSidecar.Above(AppContext.BaseDirectory)!.Root;

        // The script as a user who is not root would run it, building into this test's tree.
        var script = await CommandRun.RunAsync("bash",
        [
            "-c", ". \"$0/scripts/aot-sidecar.sh\" && id() { echo 1000; } && AOT_SIDECAR_DIR=\"$1\" WEFT_AOT_CC=no-such-clang publish_aot_sidecar",
            repository, Path.Combine(_root, "artifacts", "weft-proxy"),
        ]);
        var (sidecar, line) = SidecarChoice.Decide("auto", null, CliDirectory);

        Assert.Equal(1, script.ExitCode);
        Assert.Equal(SidecarProgram.Jit, sidecar);
        Assert.Equal("sidecars: JIT (weft proxy), not Native AOT: no-such-clang not installed (as root: apt-get install no-such-clang; or WEFT_AOT_CC=another clang)", line);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_build_interrupted_is_not_remembered_as_failed_and_a_build_that_failed_is(bool interrupted)
    {
        SourceTree(built: false);
        var repository = SourceTreeSidecar.Above(AppContext.BaseDirectory)!.Root;
        var output = Path.Combine(_root, "artifacts", "weft-proxy");

        // dotnet as an interruption finds it: the shell gets a signal while the publish runs, and dotnet, cancelling, exits
        // 1; or a publish that fails on its own. The toolchain counts as installed. The signal is TERM (kill, timeout, a
        // stopping session); Ctrl-C's INT is trapped the same way, but a shell started with INT ignored (as a test run
        // started in the background may start it) cannot trap INT.
        var dotnet = interrupted ? "dotnet() { kill -TERM $BASHPID; return 1; }" : "dotnet() { echo 'error CS0001' >&2; return 1; }";
        var script = await CommandRun.RunAsync("bash",
        [
            "-c", $". \"$0/scripts/aot-sidecar.sh\" && _aot_missing() {{ echo; }} && {dotnet} && AOT_SIDECAR_DIR=\"$1\" publish_aot_sidecar",
            repository, output,
        ]);

        Assert.Equal(interrupted ? 130 : 1, script.ExitCode);
        Assert.Equal(!interrupted, File.Exists(Path.Combine(output, ".publish-failed")));
        Assert.Equal(!interrupted, File.Exists(Path.Combine(output, ".unavailable")));
        Assert.False(File.Exists(Path.Combine(output, ".building")));
        Assert.Contains(interrupted ? "the Native AOT build was interrupted (built again at the next weft up)" : "the Native AOT publish failed", script.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_stale_sidecar_the_build_script_could_not_rebuild_is_not_run_and_the_script_s_reason_is_given()
    {
        SourceTree(built: true);
        File.SetLastWriteTimeUtc(Path.Combine(_root, "src/Weft.Proxy/Listener.cs"), Later);
        Write("artifacts/weft-proxy/.unavailable", Later, "the Native AOT publish failed (log: artifacts/weft-proxy/build.log)\n");

        var (sidecar, line) = SidecarChoice.Decide("auto", null, CliDirectory);

        Assert.Equal(SidecarProgram.Jit, sidecar);
        Assert.EndsWith("not Native AOT: the Native AOT publish failed (log: artifacts/weft-proxy/build.log)", line, StringComparison.Ordinal);
    }

    [Fact]
    public void A_binary_without_the_build_script_s_stamp_is_not_run()
    {
        SourceTree(built: true);
        File.Delete(Path.Combine(_root, "artifacts/weft-proxy/.built"));

        var (sidecar, line) = SidecarChoice.Decide("auto", null, CliDirectory);

        Assert.Equal(SidecarProgram.Jit, sidecar);
        Assert.EndsWith("artifacts/weft-proxy/weft-proxy was not built by scripts/aot-sidecar.sh (./weft up rebuilds it)", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Aot_asked_for_where_there_is_none_is_an_error_not_a_fallback()
    {
        SourceTree(built: true);
        File.SetLastWriteTimeUtc(Path.Combine(_root, "src/Weft.Proxy/Listener.cs"), Later);

        var (sidecar, line) = SidecarChoice.Decide("aot", null, CliDirectory);

        Assert.Null(sidecar);
        Assert.Equal("--sidecar aot: no Native AOT sidecar here: artifacts/weft-proxy/weft-proxy is older than src/Weft.Proxy/Listener.cs (./weft up rebuilds it)", line);
    }

    [Fact]
    public void Jit_asked_for_is_JIT_even_with_a_native_sidecar_built_or_named()
    {
        SourceTree(built: true);

        var (sidecar, line) = SidecarChoice.Decide("jit", NativeSidecar, CliDirectory);

        Assert.Equal(SidecarProgram.Jit, sidecar);
        Assert.Equal("sidecars: JIT (weft proxy), asked for", line);
    }

    [Fact]
    public void WEFT_PROXY_BIN_overrides_the_sidecar_beside_weft_and_the_one_built_in_the_tree()
    {
        SourceTree(built: true);
        var other = Write("elsewhere/weft-proxy", Built);

        var (sidecar, line) = SidecarChoice.Decide("auto", other, CliDirectory);

        Assert.Equal(other, sidecar!.NativeBinary);
        Assert.Equal($"sidecars: {other} (WEFT_PROXY_BIN)", line);
    }

    [Fact]
    public void WEFT_PROXY_BIN_naming_no_file_is_an_error()
    {
        var (sidecar, line) = SidecarChoice.Decide("auto", "/nonexistent/weft-proxy", CliDirectory);

        Assert.Null(sidecar);
        Assert.Equal("WEFT_PROXY_BIN=/nonexistent/weft-proxy: no such file", line);
    }

    [Fact]
    public void An_installed_weft_runs_the_weft_proxy_beside_it()
    {
        // As the image installs them (WeftInstallation.CliPath and .ProxyPath): no source tree above.
        var bin = Path.GetDirectoryName(Write("usr/local/bin/weft", Built))!;
        var proxy = Write("usr/local/bin/weft-proxy", Built);

        var (sidecar, line) = SidecarChoice.Decide("auto", null, bin);

        Assert.Equal(proxy, sidecar!.NativeBinary);
        Assert.Equal($"sidecars: weft-proxy (Native AOT, {proxy})", line);
    }

    [Fact]
    public void The_JIT_apphost_a_build_copies_beside_weft_is_not_taken_for_the_native_sidecar()
    {
        SourceTree(built: false);
        Write("artifacts/weft/weft-proxy", Built);
        Write("artifacts/weft/weft-proxy.dll", Built);

        Assert.Equal(SidecarProgram.Jit, SidecarChoice.Decide("auto", null, CliDirectory).Sidecar);
    }

    [Fact]
    public void Outside_a_source_tree_with_nothing_beside_weft_the_JIT_sidecar_runs()
    {
        var bin = Path.GetDirectoryName(Write("opt/weft/weft.dll", Built))!;

        var (sidecar, line) = SidecarChoice.Decide("auto", null, bin);

        Assert.Equal(SidecarProgram.Jit, sidecar);
        Assert.Equal($"sidecars: JIT (weft proxy), not Native AOT: none beside weft in {bin}", line);
    }

    [Fact]
    public async Task Weft_up_and_the_build_script_count_the_same_files_as_the_sidecar_s_sources()
    {
        var tree = SourceTreeSidecar.Above(AppContext.BaseDirectory)!;
        var script = await CommandRun.RunAsync("bash", ["-c", ". \"$0/scripts/aot-sidecar.sh\" && aot_sidecar_sources", tree.Root]);

        Assert.True(script.ExitCode == 0, script.Stderr);
        Assert.Equal(tree.Sources().Order(), script.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order());
        Assert.Contains("src/Weft.Discovery", tree.Sources());
        Assert.DoesNotContain("src/Weft.Cli", tree.Sources());
    }

    [Fact]
    public void Weft_up_and_the_scripts_count_the_same_kinds_of_file_as_sources()
    {
        var tree = SourceTreeSidecar.Above(AppContext.BaseDirectory)!;
        var script = File.ReadAllText(Path.Combine(tree.Root, "scripts", "sources-newer.sh"));
        var patterns = System.Text.RegularExpressions.Regex.Matches(script, @"-name '\*(\.[a-z]+)'").Select(m => m.Groups[1].Value);

        Assert.Equal(SourceTreeSidecar.SourceExtensions.Order(), patterns.Order());
    }

    /// <summary>
    /// A source tree: the sidecar's project referencing Routing, the CLI's, root build files (all written at
    /// <see cref="Sources"/>), the CLI's build output, and (<paramref name="built"/>) the sidecar with its stamp.
    /// </summary>
    private void SourceTree(bool built)
    {
        Write("Weft.slnx", Sources);
        Write("Directory.Build.props", Sources);
        Write("src/Weft.Proxy/Weft.Proxy.csproj", Sources, """<Project><ItemGroup><ProjectReference Include="../Weft.Routing/Weft.Routing.csproj" /></ItemGroup></Project>""");
        Write("src/Weft.Proxy/Listener.cs", Sources);
        Write("src/Weft.Proxy/weft-proxy.order", Sources);
        Write("src/Weft.Routing/Weft.Routing.csproj", Sources, "<Project />");
        Write("src/Weft.Routing/Route.cs", Sources);
        Write("src/Weft.Cli/Weft.Cli.csproj", Sources, "<Project />");
        Write("src/Weft.Cli/Program.cs", Sources);
        Write("artifacts/weft/weft.dll", Sources);
        if (built)
        {
            Write("artifacts/weft-proxy/weft-proxy", Built);
            Write("artifacts/weft-proxy/.built", Built);
        }
    }

    private string Write(string relative, DateTime time, string text = "")
    {
        var path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        File.SetLastWriteTimeUtc(path, time);
        return path;
    }
}
