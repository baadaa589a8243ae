using Weft.Routing.Policy;
using Weft.Routing.Resilience;

namespace Weft.Routing.Tests.Resilience;

/// <summary>GEP-1619 session persistence for a backend: what a client's token pins.</summary>
public sealed class SessionPinTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);
    private static readonly EndpointPolicy[] Endpoints = [Ep("10.0.0.1"), Ep("10.0.0.2"), Ep("10.0.0.3")];
    private static readonly SessionPersistencePolicy Session = new() { Type = SessionPersistencePolicy.Cookie, Name = "s", Source = "XBackendTrafficPolicy ns/p" };

    [Fact]
    public void A_token_pins_its_endpoint_while_that_is_among_the_backends_endpoints()
    {
        var token = SessionPin.Issue(Endpoints[1], Now);

        Assert.Equal(1, SessionPin.Pick(token, Endpoints, Session, Now.AddHours(5)));
        Assert.Equal(0, SessionPin.Pick(token, [Endpoints[1], Endpoints[2]], Session, Now));
        Assert.Equal(-1, SessionPin.Pick(token, [Endpoints[0], Endpoints[2]], Session, Now));
    }

    [Fact]
    public void Past_the_absolute_timeout_a_token_pins_nothing()
    {
        var token = SessionPin.Issue(Endpoints[0], Now);
        var timed = Session with { AbsoluteTimeout = TimeSpan.FromMinutes(10) };

        Assert.Equal(0, SessionPin.Pick(token, Endpoints, timed, Now.AddMinutes(9)));
        Assert.Equal(-1, SessionPin.Pick(token, Endpoints, timed, Now.AddMinutes(10)));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not base64!")]
    [InlineData("MTAuMC4wLjE")] // "10.0.0.1": no port, no time
    [InlineData("MTAuMC4wLjE6ODA4MHwteA")] // "10.0.0.1:8080|-x"
    public void A_missing_or_malformed_token_pins_nothing(string? token) =>
        Assert.Equal(-1, SessionPin.Pick(token, Endpoints, Session, Now));

    [Fact]
    public void A_token_from_the_future_pins_nothing() =>
        Assert.Equal(-1, SessionPin.Pick(SessionPin.Issue(Endpoints[0], Now.AddHours(1)), Endpoints, Session, Now));

    [Fact]
    public void A_token_is_opaque_to_the_eye_but_names_only_an_address_and_a_time() =>
        Assert.Matches("^[A-Za-z0-9_-]+$", SessionPin.Issue(Endpoints[2], Now));

    private static EndpointPolicy Ep(string address) => new() { Address = address, Port = 8080 };
}
