using System.Net;
using Weft.Proxy.Discovery;
using Weft.Proxy.Tests.Infrastructure;
using Weft.Routing.Matching;
using Weft.Routing.Policy;

namespace Weft.Proxy.Tests.Resilience;

/// <summary>
/// GEP-1619 session persistence for a backend (XBackendTrafficPolicy) through a real sidecar: the token it issues keeps
/// a client on one endpoint while that stays among the backend's endpoints, and moves it when it goes.
/// </summary>
public sealed class SessionPersistenceTests
{
    [Fact]
    public async Task A_cookie_holds_100_requests_on_one_endpoint_and_moves_when_that_endpoint_goes_away()
    {
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        await using var c = await TestBackend.StartAsync("c");
        var session = new SessionPersistencePolicy { Type = SessionPersistencePolicy.Cookie, Name = "shop-session", Source = "XBackendTrafficPolicy default/sticky" };
        BackendPolicy Web(params TestBackend[] endpoints) => Policies.Backend("web", 1, null, endpoints) with { SessionPersistence = session };
        var destinations = new ChangingDestinations("web:80", Policies.Service("web", 80, [Policies.Rule(backends: Web(a, b, c))]));
        await using var mesh = await TestMesh.StartAsync(destinations);

        var (first, _) = await mesh.GetAsync("http://web/");
        var pinnedTo = first.Headers.GetValues("x-backend").Single();
        var cookie = Assert.Single(first.Headers.GetValues("Set-Cookie"));
        Assert.Matches("^shop-session=[A-Za-z0-9_-]+; Path=/; HttpOnly$", cookie);
        var token = cookie.Split(';')[0];

        for (var i = 0; i < 100; i++)
        {
            var (response, _) = await mesh.GetAsync("http://web/", ("Cookie", token));
            Assert.Equal(pinnedTo, response.Headers.GetValues("x-backend").Single());
            Assert.False(response.Headers.Contains("Set-Cookie")); // the token still holds: nothing new to issue
        }

        // The pinned endpoint leaves the backend (not ready, removed): the next request goes elsewhere, with a new token.
        TestBackend[] others = [.. new[] { a, b, c }.Where(e => e.Name != pinnedTo)];
        destinations.Set(Policies.Service("web", 80, [Policies.Rule(backends: Web(others))]));
        var (moved, _) = await mesh.GetAsync("http://web/", ("Cookie", token));
        var movedTo = moved.Headers.GetValues("x-backend").Single();
        Assert.NotEqual(pinnedTo, movedTo);
        var newToken = Assert.Single(moved.Headers.GetValues("Set-Cookie")).Split(';')[0];
        for (var i = 0; i < 20; i++)
        {
            var (response, _) = await mesh.GetAsync("http://web/", ("Cookie", newToken));
            Assert.Equal(movedTo, response.Headers.GetValues("x-backend").Single());
        }
    }

    [Fact]
    public async Task A_header_session_is_issued_in_a_response_header_and_read_from_the_request_header()
    {
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        var session = new SessionPersistencePolicy { Type = SessionPersistencePolicy.Header, Name = "x-session", Source = "XBackendTrafficPolicy default/sticky" };
        var backend = Policies.Backend("web", 1, null, a, b) with { SessionPersistence = session };
        await using var mesh = await TestMesh.StartAsync(("web:80", Policies.Service("web", 80, [Policies.Rule(backends: backend)])));

        var (first, _) = await mesh.GetAsync("http://web/");
        var token = first.Headers.GetValues("x-session").Single();
        var pinnedTo = first.Headers.GetValues("x-backend").Single();

        for (var i = 0; i < 30; i++)
        {
            var (response, _) = await mesh.GetAsync("http://web/", ("x-session", token));
            Assert.Equal(pinnedTo, response.Headers.GetValues("x-backend").Single());
        }
    }

    /// <summary>One destination whose policy a test replaces, as a discovery update would.</summary>
    private sealed class ChangingDestinations(string hostPort, DestinationPolicy initial) : IDestinationSource
    {
        private volatile RouteTable _table = RouteTable.Build(initial);

        public void Set(DestinationPolicy policy) => _table = RouteTable.Build(policy);

        public ValueTask<RouteTable?> GetAsync(string host, int port, CancellationToken ct) =>
            ValueTask.FromResult<RouteTable?>($"{host}:{port}" == hostPort ? _table : null);

        public ValueTask<Weft.Routing.Policy.OutsidePolicy> OutsideAsync(string host, int port, CancellationToken ct) => ValueTask.FromResult(Weft.Routing.Policy.OutsidePolicy.Unmanaged);

        public IReadOnlyList<DestinationSnapshot> Snapshot() => [];
    }
}
