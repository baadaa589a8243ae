using Weft.Api;
using Weft.Api.Model;
using Weft.ControlPlane.Objects;

namespace Weft.ControlPlane.Tests.Objects;

public sealed class ObjectStoreTests
{
    private static IReadOnlyList<KubeObject> Load(string yaml)
    {
        var result = ManifestLoader.LoadText(yaml, "test.yaml");
        Assert.Empty(result.Problems);
        return result.Objects;
    }

    private static string ServiceYaml(string name, string? clusterIp = null) => $"""
        apiVersion: v1
        kind: Service
        metadata:
          name: {name}
          namespace: ns
        spec:
          {(clusterIp is null ? "" : $"clusterIP: {clusterIp}")}
          ports:
          - port: 80
        """;

    [Fact]
    public void Empty_store_is_version_zero()
    {
        var store = new ObjectStore();
        Assert.Equal(0, store.Version);
        Assert.Empty(store.Snapshot().Objects);
    }

    [Fact]
    public void Replace_bumps_the_version_and_raises_changed()
    {
        var store = new ObjectStore();
        var raised = 0;
        store.Changed += (_, _) => raised++;

        var version = store.Replace("files", Load(ServiceYaml("a")));

        Assert.Equal(1, version);
        Assert.Equal(1, raised);
        Assert.Equal("a", Assert.Single(store.Snapshot().Mesh.Services).Name);
    }

    [Fact]
    public void Replacing_with_the_same_instances_is_not_a_change()
    {
        var store = new ObjectStore();
        var objects = Load(ServiceYaml("a"));
        store.Replace("files", objects);

        Assert.Equal(1, store.Replace("files", objects));
    }

    [Fact]
    public void Objects_missing_from_a_replace_are_deleted()
    {
        var store = new ObjectStore();
        store.Replace("files", [.. Load(ServiceYaml("a")), .. Load(ServiceYaml("b"))]);

        store.Replace("files", Load(ServiceYaml("b")));

        Assert.Equal("b", Assert.Single(store.Snapshot().Mesh.Services).Name);
    }

    [Fact]
    public void Sources_merge_and_the_later_source_wins_on_the_same_key()
    {
        var store = new ObjectStore();
        store.Replace("files", [.. Load(ServiceYaml("a", "10.0.0.1")), .. Load(ServiceYaml("b"))]);
        store.Replace("cluster", Load(ServiceYaml("a", "10.0.0.2")));

        var services = store.Snapshot().Mesh.Services;
        Assert.Equal(2, services.Count);
        Assert.Equal("10.0.0.2", services.Single(s => s.Name == "a").Spec.ClusterIP);

        // The first source changing does not override the later one.
        store.Replace("files", Load(ServiceYaml("a", "10.0.0.3")));
        Assert.Equal("10.0.0.2", Assert.Single(store.Snapshot().Mesh.Services).Spec.ClusterIP);
    }

    [Fact]
    public void Admission_applies_to_every_object_entering()
    {
        var store = new ObjectStore(obj => obj is Service { Spec.ClusterIP: null } s
            ? s with { Spec = s.Spec with { ClusterIP = "127.9.1.1" } }
            : obj);

        store.Replace("files", [.. Load(ServiceYaml("a")), .. Load(ServiceYaml("b", "10.0.0.9"))]);

        var services = store.Snapshot().Mesh.Services;
        Assert.Equal("127.9.1.1", services.Single(s => s.Name == "a").Spec.ClusterIP);
        Assert.Equal("10.0.0.9", services.Single(s => s.Name == "b").Spec.ClusterIP);
    }
}
