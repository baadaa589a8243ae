using System.Net;
using Weft.Proxy.External;
using Weft.Routing.Policy;

namespace Weft.Proxy.Tests.External;

/// <summary>
/// Which addresses of an external host's name a sidecar dials: a DNS answer never sends it to this host's own addresses
/// (whoever controls the name's records would reach what only the pod can), addresses the operator gave are used as
/// given, and the sidecar's own listeners never.
/// </summary>
public sealed class ExternalConnectorTests
{
    private static readonly ExternalBackendPolicy Api = new() { Hostname = "api.example.test", Port = 443, Source = "XBackend default/api" };

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("127.9.9.9", true)]
    [InlineData("0.0.0.0", true)]
    [InlineData("169.254.169.254", true)]
    [InlineData("224.0.0.1", true)]
    [InlineData("255.255.255.255", true)]
    [InlineData("::1", true)]
    [InlineData("::", true)]
    [InlineData("fe80::1", true)]
    [InlineData("::ffff:127.0.0.1", true)]
    [InlineData("10.1.2.3", false)]
    [InlineData("198.51.100.7", false)]
    [InlineData("2001:db8::1", false)]
    public void An_address_of_this_host_or_of_no_host_is_host_local(string address, bool local) =>
        Assert.Equal(local, ExternalConnector.IsHostLocal(IPAddress.Parse(address)));

    [Fact]
    public async Task A_DNS_answer_naming_this_host_is_never_dialled()
    {
        await using var dns = FakeNameserver.Start(q => q.Answer(FakeRecord.A(q.Name, "127.0.0.1", 60), FakeRecord.A(q.Name, "169.254.169.254", 60)));
        var connector = Connector(new ExternalResolver(new Dictionary<string, IReadOnlyList<IPAddress>>(), [dns.EndPoint], TimeProvider.System));

        var refused = await Assert.ThrowsAsync<ExternalResolutionException>(async () => await connector.EndpointsAsync(Api, CancellationToken.None));

        Assert.Contains("127.0.0.1, 169.254.169.254", refused.Message, StringComparison.Ordinal);
        Assert.Contains("loopback, link-local", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Of_a_mixed_DNS_answer_only_the_addresses_elsewhere_are_endpoints()
    {
        await using var dns = FakeNameserver.Start(q => q.Answer(FakeRecord.A(q.Name, "127.0.0.1", 60), FakeRecord.A(q.Name, "198.51.100.7", 60)));
        var connector = Connector(new ExternalResolver(new Dictionary<string, IReadOnlyList<IPAddress>>(), [dns.EndPoint], TimeProvider.System));

        var endpoint = Assert.Single(await connector.EndpointsAsync(Api, CancellationToken.None));

        Assert.Equal(("198.51.100.7", 443, "api.example.test"), (endpoint.Address, endpoint.Port, endpoint.Workload));
    }

    [Fact]
    public async Task Addresses_the_operator_gives_are_used_as_given_except_the_sidecars_own_listeners()
    {
        var table = new Dictionary<string, IReadOnlyList<IPAddress>> { ["api.example.test"] = [IPAddress.Loopback, IPAddress.Parse("127.0.0.2")] };
        var connector = Connector(new ExternalResolver(table, [], TimeProvider.System), offLimits: (address, port) => address.Equals(IPAddress.Loopback) && port == 443);

        var endpoint = Assert.Single(await connector.EndpointsAsync(Api, CancellationToken.None));

        Assert.Equal("127.0.0.2", endpoint.Address);
    }

    private static ExternalConnector Connector(ExternalResolver resolver, Func<IPAddress, int, bool>? offLimits = null) =>
        new(resolver, offLimits ?? ((_, _) => false), TimeProvider.System);
}
