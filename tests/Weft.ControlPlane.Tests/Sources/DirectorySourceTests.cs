using Microsoft.Extensions.Logging.Abstractions;
using Weft.Api;
using Weft.Api.Model;
using Weft.ControlPlane.Objects;
using Weft.ControlPlane.Sources;
using Weft.ControlPlane.Tests.Support;

namespace Weft.ControlPlane.Tests.Sources;

public sealed class DirectorySourceTests
{
    // A deadline for correctness, not a latency claim: a change normally lands in well under a second (bench/ measures
    // it), but a loaded 2-core CI machine running the whole suite in parallel has missed 1 s.
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Start_loads_the_directory()
    {
        using var dir = new TempDirectory();
        dir.Write("mesh.yaml", SharedFiles.MeshManifests);
        var store = new ObjectStore();
        await using var source = new DirectorySource(dir.Path, store, NullLogger.Instance);

        var version = source.Start();

        Assert.Equal(1, version);
        Assert.Equal(3, store.Snapshot().Mesh.Services.Count);
        Assert.Empty(source.Problems);
    }

    [Fact]
    public async Task An_added_file_takes_effect_without_a_restart()
    {
        using var dir = new TempDirectory();
        dir.Write("mesh.yaml", SharedFiles.MeshManifests);
        var store = new ObjectStore();
        await using var source = new DirectorySource(dir.Path, store, NullLogger.Instance);
        source.Start();

        dir.Write("route.yaml", SharedFiles.MeshTest("httproute-simple-same-namespace.yaml"));

        await Eventually.TrueAsync(() => store.Snapshot().Mesh.Routes.Count == 1, "the route is loaded", Deadline);
    }

    [Fact]
    public async Task A_deleted_file_deletes_its_objects()
    {
        using var dir = new TempDirectory();
        dir.Write("mesh.yaml", SharedFiles.MeshManifests);
        dir.Write("route.yaml", SharedFiles.MeshTest("httproute-simple-same-namespace.yaml"));
        var store = new ObjectStore();
        await using var source = new DirectorySource(dir.Path, store, NullLogger.Instance);
        source.Start();
        Assert.Single(store.Snapshot().Mesh.Routes);

        dir.Delete("route.yaml");

        await Eventually.TrueAsync(() => store.Snapshot().Mesh.Routes.Count == 0, "the route is deleted", Deadline);
        Assert.Equal(3, store.Snapshot().Mesh.Services.Count);
    }

    [Fact]
    public async Task Rewriting_a_file_with_the_same_text_changes_nothing()
    {
        using var dir = new TempDirectory();
        var file = dir.Write("mesh.yaml", SharedFiles.MeshManifests);
        var store = new ObjectStore();
        await using var source = new DirectorySource(dir.Path, store, NullLogger.Instance);
        var before = source.Start();

        dir.Write("mesh.yaml", SharedFiles.MeshManifests);
        File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddSeconds(5));

        Assert.False(source.Rescan());
        Assert.Equal(before, store.Version);
    }

    [Fact]
    public async Task Load_problems_are_kept_and_cleared_when_fixed()
    {
        using var dir = new TempDirectory();
        dir.Write("mesh.yaml", SharedFiles.MeshManifests);
        dir.Write("broken.yaml", "kind: [unclosed");
        var store = new ObjectStore();
        await using var source = new DirectorySource(dir.Path, store, NullLogger.Instance);
        source.Start();
        Assert.NotEmpty(source.Problems);

        dir.Delete("broken.yaml");

        await Eventually.TrueAsync(() => source.Problems.Count == 0, "the problem is gone", Deadline);
    }

    [Fact]
    public async Task YAML_the_parser_fails_on_is_a_load_problem_and_the_files_last_good_objects_stay()
    {
        // Issue 15, finding 7: this text threw out of the loader, leaving only a stack trace in the log.
        using var dir = new TempDirectory();
        dir.Write("mesh.yaml", SharedFiles.MeshManifests);
        dir.Write("route.yaml", SharedFiles.MeshTest("httproute-simple-same-namespace.yaml"));
        var store = new ObjectStore();
        await using var source = new DirectorySource(dir.Path, store, NullLogger.Instance);
        source.Start();
        Assert.Single(store.Snapshot().Mesh.Routes);

        dir.Write("route.yaml", "a: [b\nc: d\n");

        await Eventually.TrueAsync(() => source.Problems.Count == 1, "the broken file is a problem", Deadline);
        var problem = source.Problems[0];
        Assert.Equal((Weft.Api.ProblemKind.Syntax, 2), (problem.Kind, problem.Line));
        Assert.EndsWith("route.yaml", problem.File, StringComparison.Ordinal);
        Assert.Contains("are kept", problem.Message, StringComparison.Ordinal);
        Assert.Single(store.Snapshot().Mesh.Routes);
    }

    [Fact]
    public async Task An_edit_that_makes_an_object_invalid_keeps_its_last_valid_version_as_kubectl_apply_would()
    {
        const string RouteYaml = """
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: r, namespace: shop}
            spec:
              parentRefs: [{group: "", kind: Service, name: echo, port: 80}]
              rules: [{matches: [{path: {type: PathPrefix, value: /a}}], backendRefs: [{name: echo, port: 80}], timeouts: {request: 5s}}]
            """;
        using var dir = new TempDirectory();
        dir.Write("route.yaml", RouteYaml);
        dir.Write("never.yaml", RouteYaml.Replace("name: r,", "name: never,", StringComparison.Ordinal).Replace("5s", "1x", StringComparison.Ordinal));
        var store = new ObjectStore();
        await using var source = new DirectorySource(dir.Path, store, NullLogger.Instance);
        HttpRoute? Loaded(string name) => store.Snapshot().Mesh.Routes.OfType<HttpRoute>().SingleOrDefault(r => r.Name == name);
        string? PathOf(HttpRoute? route) => route?.Spec.Rules.Single().Matches.Single().Path.Value;
        ManifestProblem? ProblemOf(string name) => source.Problems.SingleOrDefault(p => p.ObjectName == name);
        source.Start();
        Assert.Equal("/a", PathOf(Loaded("r")));
        Assert.Null(Loaded("never")); // never valid: nothing to keep
        Assert.DoesNotContain("kept", ProblemOf("never")!.Message, StringComparison.Ordinal);

        // The API server would reject the edit and keep the route as it was: its rules, its timeouts, its generation.
        dir.Write("route.yaml", RouteYaml.Replace("5s", "1x", StringComparison.Ordinal).Replace("/a", "/b", StringComparison.Ordinal));
        source.Rescan(force: true);
        var kept = Loaded("r");
        Assert.Equal(("/a", "5s", 1L), (PathOf(kept), kept!.Spec.Rules.Single().Timeouts?.Request, kept.Metadata.Generation));
        Assert.Equal(ProblemKind.Invalid, ProblemOf("r")!.Kind);
        Assert.EndsWith("(the last valid version of this object is kept)", ProblemOf("r")!.Message, StringComparison.Ordinal);
        Assert.Null(Loaded("never"));

        // Still invalid, then the file broken as well: still the last valid version.
        source.Rescan(force: true);
        Assert.Equal("/a", PathOf(Loaded("r")));
        dir.Write("route.yaml", "a: [b\n");
        source.Rescan(force: true);
        Assert.Equal("/a", PathOf(Loaded("r")));

        dir.Write("route.yaml", RouteYaml.Replace("/a", "/c", StringComparison.Ordinal));
        source.Rescan(force: true);
        Assert.Equal(("/c", 2L), (PathOf(Loaded("r")), Loaded("r")!.Metadata.Generation));
        Assert.Null(ProblemOf("r"));

        // Invalid again, then the file deleted: an object no longer in the files is deleted, kept version and all.
        dir.Write("route.yaml", RouteYaml.Replace("5s", "1x", StringComparison.Ordinal));
        source.Rescan(force: true);
        Assert.Equal("/c", PathOf(Loaded("r")));
        dir.Delete("route.yaml");
        source.Rescan(force: true);
        Assert.Null(Loaded("r"));
        Assert.Null(ProblemOf("r"));
        Assert.Null(Loaded("never"));
    }

    [Fact]
    public async Task An_edit_that_brings_a_problem_is_warned_of_once_while_it_lasts_and_again_when_it_comes_back()
    {
        using var dir = new TempDirectory();
        dir.Write("mesh.yaml", SharedFiles.MeshManifests);
        dir.Write("route.yaml", SharedFiles.MeshTest("httproute-simple-same-namespace.yaml"));
        var store = new ObjectStore();
        var log = new ListLogger();
        await using var source = new DirectorySource(dir.Path, store, log);
        source.Start();
        int Warnings() => log.Lines.Count(l => l.StartsWith("Warning: Not applied: ", StringComparison.Ordinal) && l.Contains("route.yaml:2", StringComparison.Ordinal));

        dir.Write("route.yaml", "a: [b\nc: d\n");
        await Eventually.TrueAsync(() => Warnings() == 1, "the syntax error said", Deadline);

        dir.Write("other.yaml", "# an unrelated edit\n");
        Assert.True(source.Rescan(force: true)); // a load with the error still there
        Assert.Equal(1, Warnings());

        dir.Write("route.yaml", SharedFiles.MeshTest("httproute-simple-same-namespace.yaml"));
        await Eventually.TrueAsync(() => source.Problems.Count == 0, "the fix loaded", Deadline);
        dir.Write("route.yaml", "a: [b\nc: d\n");
        await Eventually.TrueAsync(() => Warnings() == 2, "the same error, back, said again", Deadline);
    }
}

public sealed class DirectorySourceGenerationTests
{
    private const string Route = """
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: r, namespace: shop, generation: 7}
        spec:
          parentRefs: [{group: "", kind: Service, name: echo, port: 80}]
          rules: [{matches: [{path: {type: PathPrefix, value: /a}}], backendRefs: [{name: echo, port: 80}]}]
        """;

    [Fact]
    public async Task Generation_is_1_when_an_object_appears_and_moves_only_when_a_load_changes_more_than_its_metadata()
    {
        using var dir = new TempDirectory();
        var store = new ObjectStore();
        await using var source = new DirectorySource(dir.Path, store, NullLogger.Instance);
        long Generation() => store.Snapshot().Mesh.Routes.Single().Metadata.Generation;
        dir.Write("route.yaml", Route);
        source.Start();
        Assert.Equal(1, Generation()); // the file's 7 is not the server's to take

        // Labels, layout, comments and key order are not the spec.
        dir.Write("route.yaml", "# a comment\n" + Route.Replace("generation: 7}", "labels: {team: a}}", StringComparison.Ordinal).Replace("  parentRefs", "  # routes\n  parentRefs", StringComparison.Ordinal));
        source.Rescan(force: true);
        Assert.Equal(1, Generation());
        dir.Write("route.yaml", Route.Replace("gateway.networking.k8s.io/v1", "gateway.networking.k8s.io/v1beta1", StringComparison.Ordinal)); // the same object at another version
        source.Rescan(force: true);
        Assert.Equal(1, Generation());

        dir.Write("route.yaml", Route.Replace("/a", "/b", StringComparison.Ordinal));
        source.Rescan(force: true);
        Assert.Equal(2, Generation());
        source.Rescan(force: true);
        Assert.Equal(2, Generation());

        // A file that breaks keeps its objects as they were; the next change of them counts from there.
        dir.Write("route.yaml", "a: [b\n");
        source.Rescan(force: true);
        Assert.Equal(2, Generation());
        dir.Write("route.yaml", Route.Replace("/a", "/c", StringComparison.Ordinal));
        source.Rescan(force: true);
        Assert.Equal(3, Generation());

        // Deleted and created again: a new object.
        File.Delete(Path.Combine(dir.Path, "route.yaml"));
        source.Rescan(force: true);
        Assert.Empty(store.Snapshot().Mesh.Routes);
        dir.Write("route.yaml", Route.Replace("/a", "/c", StringComparison.Ordinal));
        source.Rescan(force: true);
        Assert.Equal(1, Generation());
    }

    [Fact]
    public async Task An_edit_to_a_version_the_API_does_not_serve_keeps_the_object_even_when_it_names_no_namespace()
    {
        // kubectl apply: 'no matches for kind "HTTPRoute" in version ".../v9"' changes nothing. The problem names the
        // object as its key does (default/r), so it is the one kept.
        var route = Route.Replace("namespace: shop, generation: 7", "generation: 7", StringComparison.Ordinal);
        using var dir = new TempDirectory();
        var store = new ObjectStore();
        await using var source = new DirectorySource(dir.Path, store, NullLogger.Instance);
        dir.Write("route.yaml", route);
        source.Start();
        Assert.Equal("default/r", store.Snapshot().Mesh.Routes.Single().Key);

        dir.Write("route.yaml", route.Replace("gateway.networking.k8s.io/v1", "gateway.networking.k8s.io/v9", StringComparison.Ordinal));
        source.Rescan(force: true);
        Assert.Equal("default/r", store.Snapshot().Mesh.Routes.Single().Key);
        Assert.Contains("(the last valid version of this object is kept)", Assert.Single(source.Problems).Message, StringComparison.Ordinal);
    }
}
