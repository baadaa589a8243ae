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
            var (gone, added) = RandomListChanges.Step(random, slices, NewSlice, slice => slice with { Endpoints = [Ep(Address()), Ep(Address())] });
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
