using Weft.Api.Model;
using Weft.Routing.Internal;
using static Weft.Routing.Tests.K;

namespace Weft.Routing.Tests;

/// <summary>
/// The index's pods (PodMaps): by name the pod of that name, by address the first of the list that holds it, after any
/// chain of pods created, changed and deleted exactly what maps made from the list give, through the layer over a shared
/// base and after the layer is folded into a new base.
/// </summary>
public class PodMapsTests
{
    // Few addresses, so that pods come to share one (as host-network pods share their node's); "" for one not yet scheduled.
    private static readonly string[] Addresses = ["10.1.0.1", "10.1.0.2", "10.1.0.3", "10.1.0.4", "10.1.0.5", "10.1.1.1", ""];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(18_2025)]
    public void Pods_by_name_and_by_address_after_a_chain_of_changes_are_those_of_maps_made_from_the_list(int seed)
    {
        var random = new Random(seed);
        var next = 0;
        Pod NewPod() => Pod(Mesh, $"p-{next++}", Addresses[random.Next(Addresses.Length)]);
        var pods = Enumerable.Range(0, 200).Select(_ => NewPod()).ToList();
        var maps = PodMaps.Of(pods);
        var folded = false;
        for (var step = 0; step < 400; step++)
        {
            var before = pods.ToList();
            var (gone, added) = RandomListChanges.Step(random, pods, NewPod, pod => pod with { PodIP = Addresses[random.Next(Addresses.Length)] });
            var layered = maps.Layered;
            maps = maps.With(gone, added, pods);
            folded |= maps.Layered < layered;

            var expected = PodMaps.Of(pods);
            foreach (var pod in before.Concat(pods))
            {
                Assert.Same(expected.ByName(Mesh, pod.Name), maps.ByName(Mesh, pod.Name));
            }

            foreach (var address in Addresses)
            {
                Assert.Same(expected.ByAddress(address), maps.ByAddress(address));
            }
        }

        Assert.True(folded, "the layer was never folded into a new base");
    }
}
