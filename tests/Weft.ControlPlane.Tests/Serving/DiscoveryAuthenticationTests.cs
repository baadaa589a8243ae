using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Weft.ControlPlane.Tests.Support;
using Weft.Discovery;
using Weft.Discovery.Identity;
using Weft.Discovery.V1;
using Weft.Tests.Shared;
using GrpcDiscovery = Weft.Discovery.V1.Discovery.DiscoveryClient;

namespace Weft.ControlPlane.Tests.Serving;

/// <summary>
/// Issue 15's authenticated control plane, on a real one over real TLS sockets: discovery and status answer only a
/// caller who proves who it is, and a sidecar only about its own pod.
/// </summary>
public sealed class DiscoveryAuthenticationTests : IAsyncLifetime
{
    private const string Shop = "shop";
    private const string Echo = "echo.gateway-conformance-mesh";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private readonly FakeTimeProvider _clock = FakeClock.AtNow();
    private readonly TempDirectory _dir = new();
    private readonly TempDirectory _state = new();
    private ControlPlaneHost _host = null!;

    public async Task InitializeAsync()
    {
        _dir.Write("mesh.yaml", SharedFiles.MeshManifests);
        _host = await ControlPlaneHost.StartAsync(
            new ControlPlaneOptions { ManifestDirectory = _dir.Path, StateDirectory = _state.Path, Time = _clock }, CancellationToken.None);
        TestCallers.SetPods(_host, TestCallers.Pod(Shop, "a-0", "a"), TestCallers.Pod(Shop, "b-0", "b"));
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _dir.Dispose();
        _state.Dispose();
    }

    private DiscoveryCredentials TokenOf(string pod, string serviceAccount) => TestCallers.PodToken(_host, Shop, pod, serviceAccount);

    private static DestinationRequest Destination(string pod, string ns = Shop) => new() { ClientNamespace = ns, ClientPod = $"{Shop}/{pod}", Host = Echo, Port = 80 };

    private static async Task<StatusCode> FirstMessageAsync<T>(AsyncServerStreamingCall<T> call)
    {
        try
        {
            await call.ResponseStream.MoveNext(CancellationToken.None);
            return StatusCode.OK;
        }
        catch (RpcException e)
        {
            return e.StatusCode;
        }
    }

    private static async Task<StatusCode> CodeOf(Func<Task> call)
    {
        try
        {
            await call();
            return StatusCode.OK;
        }
        catch (RpcException e)
        {
            return e.StatusCode;
        }
    }

    [Fact]
    public async Task A_caller_without_credentials_is_refused_on_every_call()
    {
        using var channel = TestCallers.Channel(_host);
        var client = new GrpcDiscovery(channel);
        using var watch = client.WatchDestination(Destination("a-0"));
        using var inbound = client.WatchInbound(new InboundRequest { Pod = $"{Shop}/a-0" });
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        Assert.Equal(StatusCode.Unauthenticated, await FirstMessageAsync(watch));
        Assert.Equal(StatusCode.Unauthenticated, await FirstMessageAsync(inbound));
        Assert.Equal(StatusCode.Unauthenticated, await CodeOf(async () => await client.ReportAsync(new PolicyReport { ClientPod = $"{Shop}/a-0", Host = Echo, Port = 80, Version = 1 })));
        Assert.Equal(StatusCode.Unauthenticated, await CodeOf(async () => await client.GetStatusAsync(new StatusRequest())));
        Assert.Equal(StatusCode.Unauthenticated, await CodeOf(async () => await client.IssueCertificateAsync(new IssueCertificateRequest { CsrDer = ByteString.CopyFrom(TestPki.Csr(key)) })));
        Assert.Empty(_host.Subscriptions());
    }

    [Fact]
    public async Task Discovery_is_served_over_TLS_only_and_the_certificate_chains_to_the_mesh_root()
    {
        Assert.Equal(Uri.UriSchemeHttps, _host.Address.Scheme);
        using var cleartext = Weft.Discovery.Internal.DiscoveryChannel.Create(new UriBuilder(_host.Address) { Scheme = Uri.UriSchemeHttp }.Uri, null, TokenOf("a-0", "a"));
        using var foreign = Weft.ControlPlane.Identity.MeshCertificateAuthority.LoadOrCreate(new Weft.ControlPlane.Identity.CaOptions(), TimeProvider.System);
        using var otherRoots = Weft.Discovery.Internal.DiscoveryChannel.Create(_host.Address, [foreign.Root], TokenOf("a-0", "a"));

        Assert.NotEqual(StatusCode.OK, await FirstMessageAsync(new GrpcDiscovery(cleartext).WatchDestination(Destination("a-0"))));
        Assert.NotEqual(StatusCode.OK, await FirstMessageAsync(new GrpcDiscovery(otherRoots).WatchDestination(Destination("a-0"))));
        Assert.Empty(_host.Subscriptions());
        Assert.Equal(File.ReadAllText(_host.TrustBundlePath!), _host.TrustBundlePem);
    }

    [Fact]
    public async Task A_pod_cannot_subscribe_watch_or_report_as_another_pod()
    {
        using var channel = TestCallers.Channel(_host, TokenOf("a-0", "a"));
        var asA = new GrpcDiscovery(channel);

        Assert.Equal(StatusCode.OK, await FirstMessageAsync(asA.WatchDestination(Destination("a-0"))));
        Assert.Equal(StatusCode.PermissionDenied, await FirstMessageAsync(asA.WatchDestination(Destination("b-0"))));
        Assert.Equal(StatusCode.PermissionDenied, await FirstMessageAsync(asA.WatchDestination(Destination("a-0", ns: "gateway-conformance-mesh"))));
        Assert.Equal(StatusCode.PermissionDenied, await FirstMessageAsync(asA.WatchInbound(new InboundRequest { Pod = $"{Shop}/b-0" })));
        Assert.Equal(StatusCode.PermissionDenied, await CodeOf(async () => await asA.ReportAsync(new PolicyReport { ClientPod = $"{Shop}/b-0", Host = Echo, Port = 80, Version = 1, Ack = true })));
    }

    [Fact]
    public async Task A_request_larger_than_the_control_plane_reads_is_refused_and_a_long_host_is_outside_the_mesh()
    {
        using var channel = TestCallers.Channel(_host, TokenOf("a-0", "a"));
        var asA = new GrpcDiscovery(channel);

        // A watch holds its request while it lives: one of 100 KB (of a pod's 2,000 streams) is refused, not held.
        var huge = Destination("a-0");
        huge.Host = new string('x', 100 * 1024);
        Assert.Equal(StatusCode.ResourceExhausted, await FirstMessageAsync(asA.WatchDestination(huge)));

        // A host longer than any name the mesh can know is answered as outside the mesh, and nothing of it is kept.
        var longHost = Destination("a-0");
        longHost.Host = string.Concat(Enumerable.Repeat("echo ..", 8_000));
        using var watch = asA.WatchDestination(longHost);
        Assert.True(await watch.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(DestinationStatus.NotFound, watch.ResponseStream.Current.Status);
        Assert.Equal(0, _host.CurrentModel.CompiledCount);
        Assert.Equal(Weft.Routing.MeshModel.MaxHostLength + 1, Assert.Single(_host.Subscriptions()).Host.Length); // only as much as says it is too long
    }

    [Fact]
    public void A_NACK_says_at_most_4096_characters_of_its_error()
    {
        Assert.Equal("", Weft.Discovery.Internal.NackText.Of(null));
        const string shortError = "rule 3: no backend";
        Assert.Same(shortError, Weft.Discovery.Internal.NackText.Of(shortError));
        var text = Weft.Discovery.Internal.NackText.Of(new string('e', 100_000));
        Assert.Equal(4097, text.Length);
        Assert.EndsWith("e…", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_forged_NACK_for_another_pod_never_reaches_status()
    {
        await using var b = TestCallers.Client(_host, Shop, "b-0", "b");
        var entry = await b.GetAsync(Echo, 80, CancellationToken.None);
        await Eventually.TrueAsync(() => _host.Subscriptions().SingleOrDefault()?.AckedVersion == entry!.Version, "b's ACK recorded", Deadline);
        using var channel = TestCallers.Channel(_host, TokenOf("a-0", "a"));

        var forged = await CodeOf(async () => await new GrpcDiscovery(channel).ReportAsync(
            new PolicyReport { ClientPod = $"{Shop}/b-0", Host = Echo, Port = 80, Version = entry!.Version, Ack = false, Error = "forged by a" }));

        Assert.Equal(StatusCode.PermissionDenied, forged);
        var status = await TestCallers.StatusAsync(_host);
        var subscription = Assert.Single(status.Subscriptions);
        Assert.Equal(0UL, subscription.NackedVersion);
        Assert.Equal("", subscription.NackError);
    }

    [Fact]
    public async Task A_Reports_stream_is_authenticated_and_a_report_for_another_pod_on_it_ends_it_unrecorded()
    {
        await using var b = TestCallers.Client(_host, Shop, "b-0", "b");
        var entry = await b.GetAsync(Echo, 80, CancellationToken.None);
        await Eventually.TrueAsync(() => _host.Subscriptions().SingleOrDefault()?.AckedVersion == entry!.Version, "b's ACK recorded", Deadline);
        using var anonymous = TestCallers.Channel(_host);
        using var channel = TestCallers.Channel(_host, TokenOf("a-0", "a"));

        // No credential: refused before any report is read, with no "accepted" in the headers the sidecar waits for.
        using (var refused = new GrpcDiscovery(anonymous).Reports())
        {
            Assert.Null((await refused.ResponseHeadersAsync).Get(Weft.Discovery.Internal.ReportSender.AcceptedHeader));
            Assert.Equal(StatusCode.Unauthenticated, await CodeOf(() => refused.ResponseAsync));
        }

        // a's own stream is accepted; a report on it that speaks for b ends it, and b's subscription never shows it.
        using var call = new GrpcDiscovery(channel).Reports();
        Assert.NotNull((await call.ResponseHeadersAsync).Get(Weft.Discovery.Internal.ReportSender.AcceptedHeader));
        await call.RequestStream.WriteAsync(new PolicyReport { ClientPod = $"{Shop}/b-0", Host = Echo, Port = 80, Version = entry!.Version, Ack = false, Error = "forged by a" });
        Assert.Equal(StatusCode.PermissionDenied, await CodeOf(() => call.ResponseAsync));
        var subscription = Assert.Single((await TestCallers.StatusAsync(_host)).Subscriptions);
        Assert.Equal(0UL, subscription.NackedVersion);
        Assert.Equal("", subscription.NackError);
    }

    [Fact]
    public async Task A_Reports_stream_of_a_pod_deleted_since_it_opened_is_refused_at_its_next_report()
    {
        await using var a = TestCallers.Client(_host, Shop, "a-0", "a");
        var entry = await a.GetAsync(Echo, 80, CancellationToken.None);
        using var channel = TestCallers.Channel(_host, TokenOf("a-0", "a"));
        using var call = new GrpcDiscovery(channel).Reports();
        Assert.NotNull((await call.ResponseHeadersAsync).Get(Weft.Discovery.Internal.ReportSender.AcceptedHeader));

        TestCallers.SetPods(_host, TestCallers.Pod(Shop, "b-0", "b"));
        await call.RequestStream.WriteAsync(new PolicyReport { ClientPod = $"{Shop}/a-0", Host = Echo, Port = 80, Version = entry!.Version, Ack = false, Error = "from a deleted pod" });

        Assert.Equal(StatusCode.PermissionDenied, await CodeOf(() => call.ResponseAsync));
        Assert.All((await TestCallers.StatusAsync(_host)).Subscriptions, s => Assert.Equal("", s.NackError));
    }

    [Fact]
    public async Task A_pod_may_hold_only_a_few_Reports_streams()
    {
        using var channel = TestCallers.Channel(_host, TokenOf("a-0", "a"));
        var client = new GrpcDiscovery(channel);
        List<AsyncClientStreamingCall<PolicyReport, ReportReply>> calls = [];
        try
        {
            for (var i = 0; i < 4; i++)
            {
                calls.Add(client.Reports());
                Assert.NotNull((await calls[^1].ResponseHeadersAsync).Get(Weft.Discovery.Internal.ReportSender.AcceptedHeader));
            }

            using var fifth = client.Reports();
            Assert.Equal(StatusCode.ResourceExhausted, await CodeOf(() => fifth.ResponseAsync));

            // One ended frees its place.
            await calls[0].RequestStream.CompleteAsync();
            await calls[0].ResponseAsync;
            using var again = client.Reports();
            Assert.NotNull((await again.ResponseHeadersAsync).Get(Weft.Discovery.Internal.ReportSender.AcceptedHeader));
        }
        finally
        {
            calls.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public async Task GetStatus_is_for_the_admin_credential_only()
    {
        using var sidecar = TestCallers.Channel(_host, TokenOf("a-0", "a"));
        using var forged = TestCallers.Channel(_host, DiscoveryCredentials.Bearer("weft-admin.guessed"));

        Assert.Equal(StatusCode.PermissionDenied, await CodeOf(async () => await new GrpcDiscovery(sidecar).GetStatusAsync(new StatusRequest())));
        Assert.Equal(StatusCode.PermissionDenied, await CodeOf(async () => await new GrpcDiscovery(forged).GetStatusAsync(new StatusRequest())));
        Assert.True((await TestCallers.StatusAsync(_host)).ModelVersion > 0);

        // weft status reads it from the state directory, where only the owner can.
        Assert.Equal(_host.AdminCredential, File.ReadAllText(_host.AdminCredentialPath!));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_host.AdminCredentialPath!));
        }
    }

    [Fact]
    public async Task Tap_is_for_the_admin_credential_only()
    {
        using var anonymous = TestCallers.Channel(_host);
        using var sidecar = TestCallers.Channel(_host, TokenOf("a-0", "a"));
        using var forged = TestCallers.Channel(_host, DiscoveryCredentials.Bearer("weft-admin.guessed"));
        using var admin = TestCallers.Channel(_host, TestCallers.Admin(_host));
        var request = new TapRequest { Namespace = Shop, TargetKind = "deploy", TargetName = "nosuch" };

        Assert.Equal(StatusCode.Unauthenticated, await FirstMessageAsync(new GrpcDiscovery(anonymous).Tap(request)));
        Assert.Equal(StatusCode.PermissionDenied, await FirstMessageAsync(new GrpcDiscovery(sidecar).Tap(request)));
        Assert.Equal(StatusCode.PermissionDenied, await FirstMessageAsync(new GrpcDiscovery(forged).Tap(request)));
        Assert.Equal(StatusCode.NotFound, await FirstMessageAsync(new GrpcDiscovery(admin).Tap(request))); // admitted: then no such deployment
    }

    [Fact]
    public async Task The_admin_credential_does_not_speak_for_a_pod()
    {
        using var channel = TestCallers.Channel(_host, TestCallers.Admin(_host));

        Assert.Equal(StatusCode.PermissionDenied, await FirstMessageAsync(new GrpcDiscovery(channel).WatchDestination(Destination("a-0"))));
    }

    [Fact]
    public async Task A_token_after_its_pod_is_deleted_or_replaced_gets_no_certificate_and_no_policy()
    {
        var token = TokenOf("a-0", "a");
        using var channel = TestCallers.Channel(_host, token);
        var client = new GrpcDiscovery(channel);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = new IssueCertificateRequest { CsrDer = ByteString.CopyFrom(TestPki.Csr(key)) };
        Assert.Equal("spiffe://cluster.local/ns/shop/sa/a", (await client.IssueCertificateAsync(csr)).SpiffeId);

        // Scaled away: the token has not expired, but its pod is gone.
        TestCallers.SetPods(_host, TestCallers.Pod(Shop, "b-0", "b"));
        Assert.Equal(StatusCode.PermissionDenied, await CodeOf(async () => await client.IssueCertificateAsync(csr)));
        Assert.Equal(StatusCode.PermissionDenied, await FirstMessageAsync(client.WatchDestination(Destination("a-0"))));

        // A new pod of the same name (another uid) is not the one the token was issued to.
        TestCallers.SetPods(_host, TestCallers.Pod(Shop, "a-0", "a", uid: "uid-of-the-next-a-0"));
        var replaced = await Assert.ThrowsAsync<RpcException>(async () => await client.IssueCertificateAsync(csr));
        Assert.Equal(StatusCode.PermissionDenied, replaced.StatusCode);
        Assert.Contains("earlier pod", replaced.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pod_without_serviceAccountName_runs_as_default_and_its_default_token_is_accepted()
    {
        // As the API server defaults it (and Routing names the pod's identity): an empty serviceAccountName is "default".
        var unnamed = TestCallers.Pod(Shop, "c-0") with { Spec = new Weft.Api.Model.PodSpec { ServiceAccountName = "" } };
        TestCallers.SetPods(_host, unnamed);
        using var channel = TestCallers.Channel(_host, TokenOf("c-0", "default"));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var issued = await new GrpcDiscovery(channel).IssueCertificateAsync(new IssueCertificateRequest { CsrDer = ByteString.CopyFrom(TestPki.Csr(key)) });

        Assert.Equal("spiffe://cluster.local/ns/shop/sa/default", issued.SpiffeId);
        Assert.Equal(StatusCode.OK, await FirstMessageAsync(new GrpcDiscovery(channel).WatchDestination(Destination("c-0"))));
    }

    [Fact]
    public async Task An_expired_token_is_refused()
    {
        var token = TokenOf("a-0", "a");
        _clock.Advance(_host.WorkloadTokenLifetime);
        using var channel = TestCallers.Channel(_host, token, _clock);

        var refused = await Assert.ThrowsAsync<RpcException>(() => new GrpcDiscovery(channel).WatchDestination(Destination("a-0")).ResponseStream.MoveNext(CancellationToken.None));

        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
        Assert.Contains("expired", refused.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_certificate_must_name_the_tokens_service_account()
    {
        await using var a = await WorkloadIdentity.StartAsync(
            new WorkloadIdentityOptions { ControlPlane = _host.Address, ControlPlaneRoots = TestCallers.Roots(_host), Token = TokenOf("a-0", "a").Token!, Time = _clock },
            NullLogger.Instance,
            CancellationToken.None);
        using var matching = Weft.Discovery.Internal.DiscoveryChannel.Create(
            _host.Address, TestCallers.Roots(_host), new DiscoveryCredentials { Token = TokenOf("a-0", "a").Token, ClientCertificate = () => a.Certificate }, _clock);
        using var mismatched = Weft.Discovery.Internal.DiscoveryChannel.Create(
            _host.Address, TestCallers.Roots(_host), new DiscoveryCredentials { Token = TokenOf("b-0", "b").Token, ClientCertificate = () => a.Certificate }, _clock);

        Assert.Equal(StatusCode.OK, await FirstMessageAsync(new GrpcDiscovery(matching).WatchDestination(Destination("a-0"))));
        Assert.Equal(StatusCode.PermissionDenied, await FirstMessageAsync(new GrpcDiscovery(mismatched).WatchDestination(Destination("b-0"))));
    }

    [Fact]
    public async Task A_sidecar_whose_token_is_rotated_keeps_working_past_the_first_tokens_lifetime()
    {
        // The sidecar rereads its token per call, as it rereads the file weft up (or the kubelet) rewrites.
        var current = TokenOf("a-0", "a").Token!();
        var first = current;
        await using var sidecar = new DiscoveryClient(
            _host.Address, Shop, $"{Shop}/a-0", NullLogger.Instance, _clock, TestCallers.Roots(_host), new DiscoveryCredentials { Token = () => Volatile.Read(ref current) });
        var entry = await sidecar.GetAsync(Echo, 80, CancellationToken.None);
        Assert.NotNull(entry);

        // Its ACK has come on its Reports stream, which is then authenticated for good: had the stream been opened only
        // after the clock moves past the first token's lifetime below, the first token (read as the call started) could
        // be refused, and the stream opened again after a backoff on this test's clock, which stands still.
        await Eventually.TrueAsync(() => _host.Subscriptions().Any(s => s.Host == Echo && s.AckedVersion == entry!.Version), "the first ACK recorded", Deadline);
        _clock.Advance(_host.WorkloadTokenLifetime * 0.8);
        Volatile.Write(ref current, TokenOf("a-0", "a").Token!());
        _clock.Advance(_host.WorkloadTokenLifetime * 0.3);
        using var withFirst = TestCallers.Channel(_host, DiscoveryCredentials.Bearer(first!), _clock);
        Assert.Equal(StatusCode.Unauthenticated, await FirstMessageAsync(new GrpcDiscovery(withFirst).WatchDestination(Destination("a-0"))));

        // New calls after the first token expired: a new subscription, and its ACK.
        var later = await sidecar.GetAsync("echo-v1.gateway-conformance-mesh", 80, CancellationToken.None);
        Assert.NotNull(later);
        await Eventually.TrueAsync(
            () => _host.Subscriptions().Any(s => s.Host == "echo-v1.gateway-conformance-mesh" && s.AckedVersion == later!.Version),
            "the new subscription's ACK recorded",
            Deadline);
    }

    [Fact]
    public async Task Refused_calls_are_logged_one_line_per_interval_with_the_count_held_back()
    {
        var log = new ListLogger();
        using var logging = new Microsoft.Extensions.Logging.LoggerFactory([new OneLoggerProvider(log)]);
        await using var host = await ControlPlaneHost.StartAsync(
            new ControlPlaneOptions { ManifestDirectory = _dir.Path, Time = _clock, LoggerFactory = logging }, CancellationToken.None);
        using var channel = TestCallers.Channel(host);
        var client = new GrpcDiscovery(channel);
        var report = new PolicyReport { ClientPod = $"{Shop}/a-0", Host = Echo, Port = 80, Version = 1 };
        List<string> Refusals() => [.. log.Lines.Where(l => l.Contains("refused (Unauthenticated)", StringComparison.Ordinal))];

        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(StatusCode.Unauthenticated, await CodeOf(async () => await client.ReportAsync(report)));
        }

        Assert.Single(Refusals());
        _clock.Advance(Weft.ControlPlane.Serving.CallerAuthentication.RefusalLogInterval);
        Assert.Equal(StatusCode.Unauthenticated, await CodeOf(async () => await client.ReportAsync(report)));

        var lines = Refusals();
        Assert.Equal(2, lines.Count);
        Assert.Contains("(19 more refused since the last such line)", lines[1], StringComparison.Ordinal);
    }

    private sealed class OneLoggerProvider(ListLogger logger) : Microsoft.Extensions.Logging.ILoggerProvider
    {
        public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => logger;

        public void Dispose()
        {
        }
    }
}
