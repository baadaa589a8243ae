using Weft.Proxy.LoadBalancing;
using Weft.Routing.Policy;

namespace Weft.Proxy.Tests.LoadBalancing;

public sealed class PowerOfTwoChoicesTests
{
    private static readonly EndpointPolicy[] Two =
    [
        new() { Address = "127.0.0.1", Port = 1001 },
        new() { Address = "127.0.0.1", Port = 1002 },
    ];

    [Fact]
    public void Picks_the_less_loaded_of_two()
    {
        var balancer = new PowerOfTwoChoices();
        var busy = Enumerable.Range(0, 3).Select(_ => balancer.LoadOf(Two[0]).Begin()).ToList();
        var random = new Random(1);

        for (var i = 0; i < 50; i++)
        {
            Assert.Equal(1, balancer.Pick(Two, random));
        }

        busy.ForEach(lease => lease.Dispose());
        Assert.Equal(0, balancer.LoadOf(Two[0]).Outstanding);
    }

    [Fact]
    public void Equal_load_spreads_over_all_endpoints()
    {
        var balancer = new PowerOfTwoChoices();
        var endpoints = Enumerable.Range(0, 4).Select(i => new EndpointPolicy { Address = "127.0.0.1", Port = 2000 + i }).ToArray();
        var random = new Random(7);
        var counts = new int[4];

        for (var i = 0; i < 400; i++)
        {
            counts[balancer.Pick(endpoints, random)]++;
        }

        Assert.All(counts, c => Assert.InRange(c, 50, 150));
    }

    [Fact]
    public void Load_is_shared_by_address_and_port()
    {
        var balancer = new PowerOfTwoChoices();
        using var lease = balancer.LoadOf(new EndpointPolicy { Address = "127.0.0.1", Port = 1001 }).Begin();

        Assert.Equal(1, balancer.LoadOf(Two[0]).Outstanding);
        Assert.Equal(0, balancer.LoadOf(Two[1]).Outstanding);
    }

    [Fact]
    public void A_single_endpoint_is_always_picked()
    {
        Assert.Equal(0, new PowerOfTwoChoices().Pick([Two[0]], new Random(3)));
    }
}
