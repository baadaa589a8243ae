using Weft.Proxy.Tests.Infrastructure;
using static Weft.Proxy.Tests.Infrastructure.Policies;

namespace Weft.Proxy.Tests.Http1;

/// <summary>
/// A forward that fails before any response (nothing listening, a TLS port sent plaintext) is a 502 whose body says which
/// backend and what failed, on the fast path and on the full path alike; a HEAD gets the status without a body.
/// </summary>
public sealed class ForwardFailureTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_backend_that_cannot_be_reached_is_a_502_naming_it_and_the_failure(bool fastPath)
    {
        var closed = Ports.Closed();
        await using var proxy = await OutboundProxy.StartAsync([("web:8080", Service("web", 8080, [Rule(backends: OutboundPolicies.Backend("v1", 1, 9001))]))],
            fastPath, peerInboundPort: closed);
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync(OutboundProxy.Get("http://web:8080/"));
        var response = await client.ReadResponseAsync();
        await client.SendAsync("HEAD http://web:8080/ HTTP/1.1\r\nHost: web:8080\r\n\r\n");
        var head = await client.ReadResponseAsync(requestWasHead: true);
        await client.SendAsync(OutboundProxy.Get("http://web:8080/again"));
        var again = await client.ReadResponseAsync(); // parses: nothing followed the HEAD's head

        Assert.Equal(502, response.Status);
        Assert.Equal(fastPath, !response.Has("Date"));
        Assert.StartsWith("weft: ", response.BodyText, StringComparison.Ordinal);
        Assert.Contains("default/v1", response.BodyText, StringComparison.Ordinal);
        Assert.Contains("refused", response.BodyText, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(502, head.Status);
        Assert.Equal(502, again.Status);
        Assert.StartsWith("weft: ", again.BodyText, StringComparison.Ordinal);
    }
}
