using Weft.Api.Model;
using Weft.Routing.Internal;
using static Weft.Routing.Tests.K;

namespace Weft.Routing.Tests;

/// <summary>
/// The endpoints at each address (EndpointAddresses, for pod-IP destinations): after any chain of slices created, changed,
/// deleted and moved in the list, exactly what a map made from the list gives, through the layer over a shared base and
/// after the layer is folded into a new base.
/// </summary>
public class EndpointAddressesTests
{
    private static readonly EndpointPort[] Ports = [new() { Name = "http", Port = 8080 }];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(18_2025)]
    public void The_endpoints_at_each_address_after_a_chain_of_slice_changes_are_those_of_a_map_made_from_the_list(int seed)
    {
        var random = new Random(seed);
        var next = 0;
        string Address() => $"10.1.{random.Next(3)}.{random.Next(40)}";
        EndpointSlice NewSlice()
        {
            var service = $"svc-{random.Next(5)}";
            var labels = new Dictionary<string, string> { [EndpointSlice.ServiceNameLabel] = service };
            var endpoints = Enumerable.Range(0, random.Next(1, 4)).Select(_ => Ep(Address())).ToArray();
            return Slice(Mesh, service, Ports, endpoints) with { Metadata = new ObjectMeta { Name = $"slice-{next++}", Namespace = Mesh, Labels = labels } };
        }

        var slices = Enumerable.Range(0, 60).Select(_ => NewSlice()).ToList();
        var map = EndpointAddresses.Of(slices);
        var folded = false;
        for (var step = 0; step < 300; step++)
        {
            // A slice deleted, created anywhere, changed in place (new endpoints), or moved in the list (both gone and added).
            var before = slices.ToList();
            var moved = new List<EndpointSlice>();
            for (var n = random.Next(1, 4); n > 0; n--)
            {
                var at = random.Next(slices.Count + 1);
                switch (random.Next(4))
                {
                    case 0 when slices.Count > 0:
                        slices.RemoveAt(at % slices.Count);
                        break;
                    case 1:
                        slices.Insert(at, NewSlice());
                        break;
                    case 2 when slices.Count > 0:
                        var i = at % slices.Count;
                        slices[i] = slices[i] with { Endpoints = [Ep(Address()), Ep(Address())] };
                        break;
                    default:
                        if (slices.Count > 1)
                        {
                            var slice = slices[at % slices.Count];
                            slices.Remove(slice);
                            slices.Insert(random.Next(slices.Count + 1), slice);
                            moved.Add(slice);
                        }

                        break;
                }
            }

            var (beforeSet, afterSet, movedSet) = (before.ToHashSet(ReferenceEqualityComparer.Instance), slices.ToHashSet(ReferenceEqualityComparer.Instance), moved.ToHashSet(ReferenceEqualityComparer.Instance));
            var gone = before.Where(s => !afterSet.Contains(s) || movedSet.Contains(s)).ToList();
            var added = slices.Where(s => !beforeSet.Contains(s) || movedSet.Contains(s)).ToList();
            var layered = map.Layered;
            map = map.With(gone, added);
            folded |= map.Layered < layered;

            var expected = EndpointAddresses.Of(slices);
            for (var x = 0; x < 3; x++)
            {
                for (var y = 0; y < 40; y++)
                {
                    var address = $"10.1.{x}.{y}";
                    Assert.Equal(expected.At(address), map.At(address));
                }
            }
        }

        Assert.True(folded, "the layer was never folded into a new base");
    }
}
