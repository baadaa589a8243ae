using System.Security.Authentication;
using Microsoft.Extensions.Time.Testing;
using Weft.ControlPlane.Tests.Support;
using Weft.Discovery.Identity;

namespace Weft.ControlPlane.Tests.Identity;

/// <summary>The proxy's <see cref="WorkloadIdentity"/> against a real control plane, on a clock the test moves.</summary>
public sealed class WorkloadIdentityTests : IAsyncLifetime
{
    private const string Checkout = "spiffe://cluster.local/ns/shop/sa/checkout";
    private const string Cart = "spiffe://cluster.local/ns/shop/sa/cart";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);
    private readonly FakeTimeProvider _clock = FakeClock.AtNow();
    private readonly TempDirectory _state = new();
    private readonly ListLogger _log = new();
    private ControlPlaneHost _host = null!;

    public async Task InitializeAsync() => _host = await LowPorts.StartAsync(StartHostAsync); // started again on its port (the unreachable control plane's test)

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _state.Dispose();
    }

    // Tokens outlive the 24 h certificates here, so that a certificate's lifetime is the CA's, not its token's.
    private async Task<ControlPlaneHost> StartHostAsync(int port)
    {
        var host = await ControlPlaneHost.StartAsync(
            new ControlPlaneOptions { Port = port, StateDirectory = _state.Path, Time = _clock, WorkloadTokenLifetime = TimeSpan.FromDays(2) }, CancellationToken.None);
        TestCallers.SetPods(host, TestCallers.Pod("shop", "checkout-0", "checkout"), TestCallers.Pod("shop", "cart-0", "cart"));
        return host;
    }

    private string TokenOf(string pod, string serviceAccount) => _host.IssueWorkloadToken("shop", pod, TestCallers.UidOf("shop", pod), serviceAccount);

    private Task<WorkloadIdentity> StartIdentityAsync(string pod, string serviceAccount) =>
        WorkloadIdentity.StartAsync(
            new WorkloadIdentityOptions
            {
                ControlPlane = _host.Address,
                ControlPlaneRoots = TestCallers.Roots(_host),
                Token = () => TokenOf(pod, serviceAccount),
                Time = _clock,
                InitialBackoff = TimeSpan.FromSeconds(1),
                MaxBackoff = TimeSpan.FromSeconds(2),
            },
            _log,
            CancellationToken.None);

    [Fact]
    public async Task Gets_a_certificate_with_its_key_for_the_identity_of_its_token()
    {
        var token = TokenOf("checkout-0", "checkout");

        await using var identity = await WorkloadIdentity.StartAsync(
            new WorkloadIdentityOptions { ControlPlane = _host.Address, ControlPlaneRoots = TestCallers.Roots(_host), Token = () => token, Time = _clock },
            _log,
            CancellationToken.None).WaitAsync(Deadline);

        Assert.Equal(Checkout, identity.SpiffeId);
        Assert.True(identity.Certificate.HasPrivateKey);
        Assert.Equal(_clock.GetUtcNow().AddHours(24), identity.NotAfter);
        Assert.Equal(_clock.GetUtcNow().AddHours(12), identity.Current.RenewAt);
        Assert.Equal(_host.CertificateAuthority.Root.Thumbprint, Assert.Single(identity.TrustBundle).Thumbprint);
    }

    [Fact]
    public async Task Rejected_token_fails_the_start()
    {
        using var deadline = new CancellationTokenSource(Deadline);

        var e = await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => WorkloadIdentity.StartAsync(
            new WorkloadIdentityOptions { ControlPlane = _host.Address, ControlPlaneRoots = TestCallers.Roots(_host), Token = () => "weft1.forged.token", Time = TimeProvider.System },
            _log,
            deadline.Token));

        Assert.Equal(Grpc.Core.StatusCode.Unauthenticated, e.StatusCode);
    }

    [Fact]
    public async Task Renews_at_half_its_lifetime_with_a_new_key_and_the_old_one_keeps_working()
    {
        await using var identity = await StartIdentityAsync("checkout-0", "checkout");
        var first = identity.Current;
        var renewed = new TaskCompletionSource<IdentitySnapshot>(TaskCreationOptions.RunContinuationsAsynchronously);
        identity.Changed += snapshot => renewed.TrySetResult(snapshot);

        _clock.Advance(TimeSpan.FromHours(12) - TimeSpan.FromSeconds(1));
        Assert.Same(first, identity.Current);
        _clock.Advance(TimeSpan.FromSeconds(1));
        var second = await renewed.Task.WaitAsync(Deadline);

        Assert.Same(second, identity.Current);
        Assert.Equal(Checkout, second.SpiffeId);
        Assert.Equal(first.NotAfter.AddHours(12), second.NotAfter);
        Assert.NotEqual(first.Certificate.SerialNumber, second.Certificate.SerialNumber);
        Assert.NotEqual(first.Certificate.GetPublicKeyString(), second.Certificate.GetPublicKeyString());

        // A handshake that picked the old snapshot before the swap still completes with it.
        var now = _clock.GetUtcNow();
        var outcome = await TlsPair.HandshakeAsync(first.Certificate, first.TrustBundle, second.Certificate, second.TrustBundle, Checkout, now);
        Assert.Equal(Checkout, outcome.ServerSawClient);
        Assert.Equal(Checkout, outcome.ClientSawServer);
    }

    [Fact]
    public async Task Keeps_its_certificate_and_retries_while_the_control_plane_is_unreachable()
    {
        await using var identity = await StartIdentityAsync("checkout-0", "checkout");
        var first = identity.Current;
        var renewed = new TaskCompletionSource<IdentitySnapshot>(TaskCreationOptions.RunContinuationsAsynchronously);
        identity.Changed += snapshot => renewed.TrySetResult(snapshot);
        var port = _host.Address.Port;
        await _host.DisposeAsync();

        _clock.Advance(TimeSpan.FromHours(12));
        await Eventually.TrueAsync(() => identity.FailedAttempts >= 1, "a failed renewal", Deadline);
        Assert.Same(first, identity.Current);

        // The control plane comes back with the same state (root and token key); the next retry succeeds.
        _host = await StartHostAsync(port);
        await Eventually.TrueAsync(
            () =>
            {
                if (!renewed.Task.IsCompleted)
                {
                    _clock.Advance(TimeSpan.FromSeconds(1));
                }

                return renewed.Task.IsCompleted;
            },
            "a renewal after the control plane came back",
            Deadline);

        Assert.Equal(0, identity.FailedAttempts);
        Assert.NotEqual(first.Certificate.SerialNumber, identity.Certificate.SerialNumber);
        Assert.Equal(first.Certificate.Issuer, identity.Certificate.Issuer);
    }

    [Fact]
    public async Task Two_workloads_complete_a_tls13_mutual_handshake_and_see_each_others_spiffe_ids()
    {
        await using var checkout = await StartIdentityAsync("checkout-0", "checkout");
        await using var cart = await StartIdentityAsync("cart-0", "cart");

        var outcome = await TlsPair.HandshakeAsync(
            cart.Certificate, cart.TrustBundle, checkout.Certificate, checkout.TrustBundle, expectedServer: Cart, _clock.GetUtcNow());

        Assert.Equal(Checkout, outcome.ServerSawClient);
        Assert.Equal(Cart, outcome.ClientSawServer);
        Assert.Equal(SslProtocols.Tls13, outcome.ServerProtocol);
        Assert.Equal(SslProtocols.Tls13, outcome.ClientProtocol);
        Assert.Equal(42, outcome.Echoed);
    }

    [Fact]
    public async Task Handshake_fails_when_the_server_is_not_the_expected_identity()
    {
        await using var checkout = await StartIdentityAsync("checkout-0", "checkout");
        await using var cart = await StartIdentityAsync("cart-0", "cart");

        await Assert.ThrowsAsync<AuthenticationException>(() => TlsPair.HandshakeAsync(
            cart.Certificate, cart.TrustBundle, checkout.Certificate, checkout.TrustBundle, expectedServer: "spiffe://cluster.local/ns/shop/sa/payments", _clock.GetUtcNow()));
    }
}
