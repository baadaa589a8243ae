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

    // A watch event hands the whole list again with one object swapped: the store merges only that one (issue 18).
    private static string RouteYaml(string name, string path) => $"""
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata:
          name: {name}
          namespace: ns
        spec:
          parentRefs:
          - group: ""
            kind: Service
            name: a
            port: 80
          rules:
          - matches:
            - path:
                type: PathPrefix
                value: {path}
            backendRefs:
            - name: a
              port: 80
        """;

    private static List<KubeObject> Cluster() =>
        [.. Load(ServiceYaml("a")), .. Load(ServiceYaml("b")), .. Load(RouteYaml("r1", "/one")), .. Load(RouteYaml("r2", "/two"))];

    private static void AssertSameSnapshot(StoreSnapshot expected, StoreSnapshot actual)
    {
        Assert.Equal(expected.Objects, actual.Objects, ReferenceEqualityComparer.Instance);
        Assert.Equal(expected.Mesh.Services, actual.Mesh.Services, ReferenceEqualityComparer.Instance);
        Assert.Equal(expected.Mesh.Routes, actual.Mesh.Routes, ReferenceEqualityComparer.Instance);
    }

    [Fact]
    public void A_list_with_one_object_swapped_gives_the_snapshot_of_a_full_replace()
    {
        var store = new ObjectStore();
        var objects = Cluster();
        store.Replace("cluster", objects);

        objects[2] = Load(RouteYaml("r1", "/edited")).Single();
        var version = store.Replace("cluster", objects);

        var full = new ObjectStore();
        full.Replace("cluster", objects);
        Assert.Equal(2, version);
        AssertSameSnapshot(full.Snapshot(), store.Snapshot());
    }

    [Fact]
    public void Mesh_lists_without_a_swapped_object_keep_their_instances()
    {
        var store = new ObjectStore();
        var objects = Cluster();
        store.Replace("cluster", objects);
        var before = store.Snapshot().Mesh;

        objects[3] = Load(RouteYaml("r2", "/edited")).Single();
        store.Replace("cluster", objects);

        Assert.Same(before.Services, store.Snapshot().Mesh.Services);
        Assert.NotSame(before.Routes, store.Snapshot().Mesh.Routes);
    }

    [Fact]
    public void Swapping_an_object_for_an_equal_one_is_not_a_change()
    {
        var store = new ObjectStore();
        var objects = Cluster();
        store.Replace("cluster", objects);
        var held = store.Snapshot().Objects[0];

        objects[0] = objects[0] with { };
        Assert.Equal(1, store.Replace("cluster", objects));
        Assert.Same(held, store.Snapshot().Objects[0]);
    }

    [Fact]
    public void A_swapped_object_that_a_later_source_holds_changes_nothing()
    {
        var store = new ObjectStore();
        var objects = Cluster();
        store.Replace("files", objects);
        store.Replace("cluster", Load(ServiceYaml("a", "10.0.0.2")));

        objects[0] = Load(ServiceYaml("a", "10.0.0.3")).Single();
        Assert.Equal(2, store.Replace("files", objects));
        Assert.Equal("10.0.0.2", store.Snapshot().Mesh.Services.Single(s => s.Name == "a").Spec.ClusterIP);
    }

    [Fact]
    public void A_list_with_an_object_renamed_added_or_removed_after_a_swap_is_merged_in_full()
    {
        var store = new ObjectStore();
        var objects = Cluster();
        store.Replace("cluster", objects);
        objects[2] = Load(RouteYaml("r1", "/edited")).Single();
        store.Replace("cluster", objects);

        objects[3] = Load(RouteYaml("r3", "/three")).Single();
        store.Replace("cluster", objects);
        var full = new ObjectStore();
        full.Replace("cluster", objects);
        AssertSameSnapshot(full.Snapshot(), store.Snapshot());

        objects.RemoveAt(1);
        store.Replace("cluster", objects);
        Assert.Equal("a", Assert.Single(store.Snapshot().Mesh.Services).Name);
        Assert.Equal(["r1", "r3"], store.Snapshot().Mesh.Routes.Select(r => r.Name));
    }

    [Theory]
    [InlineData(1, 40)]
    [InlineData(2, 40)]
    [InlineData(3, 40)]
    [InlineData(4, 2_500)] // over two chunks of the store's lists (ChunkedList), so that edits cross their boundaries
    public void A_list_with_objects_added_removed_and_moved_gives_the_snapshot_a_fresh_store_gives(int seed, int length)
    {
        // Mostly the whole list again with a few objects added or removed (a pod created or deleted): the keys of the
        // objects kept are known from the last list, at their place or shifted, and the order by key is kept by
        // inserting the new keys. Names where ordinal and linguistic order differ ('-' against letters), two kinds, and
        // now and then many objects added at once (merged in full).
        var random = new Random(seed);
        var store = new ObjectStore();
        string[] stems = ["a", "a-b", "ab", "a-c", "ac", "a0", "b", "b-a", "ba"];
        var made = 0;
        KubeObject New() => (made++ % 3) == 0
            ? Load(RouteYaml($"{stems[random.Next(stems.Length)]}-{made}", "/")).Single()
            : Load(ServiceYaml($"{stems[random.Next(stems.Length)]}-{made}")).Single();
        var objects = Enumerable.Range(0, length).Select(_ => New()).ToList();
        store.Replace("cluster", objects);
        for (var round = 0; round < 60; round++)
        {
            var changes = round % 20 == 10 ? 12 : 1 + random.Next(3);
            for (var c = 0; c < changes; c++)
            {
                switch (round % 20 == 10 ? 0 : random.Next(4))
                {
                    case 0:
                        objects.Insert(random.Next(objects.Count + 1), New());
                        break;
                    case 1 when objects.Count > 1:
                        objects.RemoveAt(random.Next(objects.Count));
                        break;
                    case 2 when objects[random.Next(objects.Count)] is Service service:
                        objects[objects.IndexOf(service)] = Load(ServiceYaml(service.Name, $"10.0.{round}.{c}")).Single();
                        break;
                    default:
                        var last = objects[^1];
                        objects.RemoveAt(objects.Count - 1);
                        objects.Insert(random.Next(objects.Count + 1), last);
                        break;
                }
            }

            if (random.Next(15) == 0)
            {
                objects = [.. objects.OrderBy(_ => random.Next())];
            }

            store.Replace("cluster", objects);
            var fresh = new ObjectStore();
            fresh.Replace("cluster", objects);
            AssertSameSnapshot(fresh.Snapshot(), store.Snapshot());
            Assert.Equal(objects.Count, store.Snapshot().Objects.Count);
        }
    }

    [Theory]
    [InlineData(1, 30)]
    [InlineData(2, 30)]
    [InlineData(3, 30)]
    [InlineData(4, 1_300)] // over two chunks of the store's lists (ChunkedList), so that edits cross their boundaries
    public void A_list_edited_as_a_Kubernetes_source_edits_it_gives_the_snapshot_a_fresh_store_gives(int seed, int length)
    {
        // KubeSource hands the store one segment per informer: an object created goes at the end of its segment, one
        // deleted has its place taken by the segment's last, one changed is swapped in place (issue 18: a pod created at
        // 50,000 Services). Now and then a list names an object twice, or is reordered: the full merge decides those.
        var random = new Random(seed);
        var admitted = 0;
        var store = new ObjectStore(obj =>
        {
            Interlocked.Increment(ref admitted);
            return obj is Service { Spec.ClusterIP: null } s ? s with { Spec = s.Spec with { ClusterIP = "127.9.1.1" } } : obj;
        });
        string[] stems = ["a", "a-b", "ab", "a-c", "ac", "a0", "b", "b-a", "ba"];
        var made = 0;
        KubeObject New(int segment) => segment == 0
            ? Load(ServiceYaml($"{stems[random.Next(stems.Length)]}-{made++}")).Single()
            : Load(RouteYaml($"{stems[random.Next(stems.Length)]}-{made++}", "/")).Single();
        List<KubeObject>[] segments = [[.. Enumerable.Range(0, length).Select(_ => New(0))], [.. Enumerable.Range(0, length).Select(_ => New(1))]];
        store.Replace("cluster", [.. segments.SelectMany(x => x)]);
        var (lengthBefore, edited) = (2 * length, 0);
        for (var round = 0; round < 80; round++)
        {
            var before = Volatile.Read(ref admitted);
            var changes = 1 + random.Next(3);
            for (var c = 0; c < changes; c++)
            {
                var segment = segments[random.Next(segments.Length)];
                switch (random.Next(10))
                {
                    case < 4:
                        segment.Add(New(segments[0] == segment ? 0 : 1));
                        break;
                    case < 7 when segment.Count > 1:
                        var at = random.Next(segment.Count);
                        segment[at] = segment[^1];
                        segment.RemoveAt(segment.Count - 1);
                        break;
                    case < 9 when segment[random.Next(segment.Count)] is Service service:
                        segment[segment.IndexOf(service)] = Load(ServiceYaml(service.Name, $"10.0.{round}.{c}")).Single();
                        break;
                    default:
                        break;
                }
            }

            if (random.Next(20) == 0)
            {
                segments[1] = [.. segments[1].OrderBy(_ => random.Next())];
            }

            List<KubeObject> objects = [.. segments.SelectMany(x => x)];
            if (random.Next(20) == 0)
            {
                objects.Add(objects[random.Next(objects.Count)] with { }); // the same key twice, this once
            }

            store.Replace("cluster", objects);
            var admittedNow = Volatile.Read(ref admitted) - before;
            var fresh = new ObjectStore(obj => obj is Service { Spec.ClusterIP: null } s ? s with { Spec = s.Spec with { ClusterIP = "127.9.1.1" } } : obj);
            fresh.Replace("cluster", objects);
            Assert.Equal(fresh.Snapshot().Objects.Select(ObjectStore.KeyOf), store.Snapshot().Objects.Select(ObjectStore.KeyOf));
            Assert.Equal(fresh.Snapshot().Mesh.Services.Select(x => x.Key), store.Snapshot().Mesh.Services.Select(x => x.Key));
            Assert.Equal(fresh.Snapshot().Mesh.Routes.Select(x => x.Key), store.Snapshot().Mesh.Routes.Select(x => x.Key));
            Assert.Equal(fresh.Snapshot().Mesh.Services.Select(x => x.Spec.ClusterIP), store.Snapshot().Mesh.Services.Select(x => x.Spec.ClusterIP));
            Assert.Equal(store.Snapshot().Objects.OfType<Route>(), store.Snapshot().Mesh.Routes, ReferenceEqualityComparer.Instance);
            Assert.Equal(store.Snapshot().Objects.OfType<Service>(), store.Snapshot().Mesh.Services, ReferenceEqualityComparer.Instance);
            if (objects.Count == objects.Select(ObjectStore.KeyOf).Distinct().Count() && admittedNow < objects.Count)
            {
                // Not merged in full: the routes given are the ones held.
                Assert.Equal(objects.OfType<Route>().OrderBy(ObjectStore.KeyOf, StringComparer.Ordinal), store.Snapshot().Mesh.Routes, ReferenceEqualityComparer.Instance);
                edited += objects.Count != lengthBefore ? 1 : 0;
            }

            lengthBefore = objects.Count;
        }

        Assert.True(edited >= 20, $"only {edited} of 80 lists that added or removed objects were merged without admitting every object");
    }

    [Fact]
    public void An_object_added_where_one_is_removed_takes_its_place_and_a_list_only_reordered_is_no_change()
    {
        var store = new ObjectStore();
        var (a, c, e, b) = (Load(ServiceYaml("a")).Single(), Load(ServiceYaml("c")).Single(), Load(ServiceYaml("e")).Single(), Load(ServiceYaml("b")).Single());
        store.Replace("cluster", [a, c, e]);
        var changes = 0;
        store.Changed += (_, _) => changes++;

        // c's place goes to the end's object and b comes at the end (a Kubernetes source's delete and create): in the
        // merged keys b goes in where c comes out.
        Assert.Equal(2, store.Replace("cluster", [a, e, b]));
        Assert.Equal(["a", "b", "e"], store.Snapshot().Mesh.Services.Select(s => s.Name));
        Assert.Equal(store.Snapshot().Mesh.Services, store.Snapshot().Objects, ReferenceEqualityComparer.Instance);
        Assert.Equal(1, changes);

        Assert.Equal(2, store.Replace("cluster", [a, b, e]));
        Assert.Equal(1, changes);
        Assert.Equal(["a", "b", "e"], store.Snapshot().Mesh.Services.Select(s => s.Name));
    }

    [Fact]
    public void Admission_applies_to_a_swapped_object()
    {
        var store = new ObjectStore(obj => obj is Service { Spec.ClusterIP: null } s
            ? s with { Spec = s.Spec with { ClusterIP = "127.9.1.1" } }
            : obj);
        var objects = Cluster();
        store.Replace("cluster", objects);

        objects[1] = Load(ServiceYaml("b")).Single() with { Metadata = new ObjectMeta { Name = "b", Namespace = "ns", Generation = 2 } };
        Assert.Equal(2, store.Replace("cluster", objects));
        Assert.Equal("127.9.1.1", store.Snapshot().Mesh.Services.Single(s => s.Name == "b").Spec.ClusterIP);
    }
}
