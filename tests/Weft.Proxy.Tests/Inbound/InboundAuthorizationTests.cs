using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Weft.Discovery.Identity;
using Weft.Proxy.L4;
using Weft.Proxy.Metrics;
using Weft.Proxy.Tests.Http1;
using Weft.Proxy.Tests.Infrastructure;
using Weft.Routing.Authorization;
using Weft.Tests.Shared;

namespace Weft.Proxy.Tests.Inbound;

/// <summary>
/// Issue 14 at the receiving sidecar: a real sidecar on loopback with a fixed mTLS identity and an inbound policy, real
/// peers proving identities of one test root (<see cref="OutboundMeshCa"/>), and a real app that shows what reached it.
/// </summary>
public sealed class InboundAuthorizationTests
{
    private const string Forbidden = "forbidden: not authorized\n";

    /// <summary>The server pod's policy: only service account <c>client</c> of its namespace may call, nobody else.</summary>
    private static InboundPolicy AllowOnly(string serviceAccount, string defaultPolicy = DefaultInboundPolicies.AllUnauthenticated) => Policy(
        defaultPolicy,
        new AuthorizationPolicyEntry
        {
            Name = "allow-" + serviceAccount,
            Action = "ALLOW",
            Rules = [new AuthorizationRulePolicy { Index = 0, Sources = [new AuthorizationSourcePolicy { Namespace = "default", ServiceAccount = serviceAccount }] }],
        });

    private static InboundPolicy DenyFrom(string serviceAccount) => Policy(
        DefaultInboundPolicies.AllUnauthenticated,
        new AuthorizationPolicyEntry
        {
            Name = "deny-" + serviceAccount,
            Action = "DENY",
            Rules = [new AuthorizationRulePolicy { Index = 0, Sources = [new AuthorizationSourcePolicy { Namespace = "default", ServiceAccount = serviceAccount }] }],
        });

    private static InboundPolicy Policy(string defaultPolicy, params AuthorizationPolicyEntry[] policies) => new()
    {
        Namespace = "default",
        Pod = "server",
        ServiceAccount = "server",
        TrustDomain = "cluster.local",
        DefaultPolicy = defaultPolicy,
        Policies = policies,
    };

    private static Task<Sidecar> ServerAsync(IdentitySnapshot identity, InboundPolicy policy, bool fastPath) =>
        Sidecar.StartAsync(options => options with
        {
            PodName = "server",
            Identity = identity,
            InboundPolicy = policy,
            Http1FastPath = fastPath,
        });

    private static async Task<RawResponse> GetAsMtlsAsync(Sidecar server, IdentitySnapshot caller, ScriptedApp app, string target = "/orders", string extra = "")
    {
        await using var connection = await RawConnection.OpenMtlsAsync(server.Inbound, caller);
        await connection.SendAsync(Sidecar.Get(app.Port, target, extra));
        return await connection.ReadResponseAsync();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task An_allowed_caller_reaches_the_app_and_one_no_rule_allows_gets_403_on_both_paths(bool fastPath)
    {
        using var ca = new OutboundMeshCa();
        await using var app = ScriptedApp.Start(_ => ScriptedReply.Ok("app"));
        await using var server = await ServerAsync(ca.Issue("server"), AllowOnly("client"), fastPath);

        var allowed = await GetAsMtlsAsync(server, ca.Issue("client"), app);
        var denied = await GetAsMtlsAsync(server, ca.Issue("intruder"), app);

        Assert.Equal(200, allowed.Status);
        Assert.Equal("app", allowed.BodyText);
        Assert.Equal(403, denied.Status);
        Assert.Equal(Forbidden, denied.BodyText);
        Assert.Equal(fastPath, !denied.Has("Date")); // the fast path answered it itself, without Kestrel
        Assert.Single(app.Received); // the denied request never reached the app
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_plaintext_caller_to_a_strict_workload_never_reaches_the_policy_stage(bool fastPath)
    {
        // The policy would admit anyone (all-unauthenticated, no policies): only the strict mTLS mode stands in the way.
        using var ca = new OutboundMeshCa();
        await using var app = ScriptedApp.Start(_ => ScriptedReply.Ok("app"));
        await using var server = await Sidecar.StartAsync(options => options with
        {
            PodName = "server",
            Identity = ca.Issue("server"),
            Mtls = Security.MtlsMode.Strict,
            InboundPolicy = Policy(DefaultInboundPolicies.AllUnauthenticated),
            Http1FastPath = fastPath,
        });
        await using var connection = await RawConnection.OpenAsync(server.Inbound);

        await connection.SendAsync(Sidecar.Get(app.Port, "/orders"));

        Assert.True(await connection.ClosedByProxyAsync());
        Assert.Equal(0, app.Accepted);
        var metrics = await server.MetricsAsync();
        Assert.DoesNotContain(metrics.Split('\n'), l => l.StartsWith("weft_authz_", StringComparison.Ordinal) && !l.StartsWith('#'));
    }

    [Fact]
    public async Task A_plain_GET_on_the_fast_path_from_a_plaintext_caller_to_a_default_deny_pod_is_403_and_never_forwarded()
    {
        await using var app = ScriptedApp.Start(_ => ScriptedReply.Ok("app"));
        await using var server = await Sidecar.StartAsync(options => options with { Http1FastPath = true, InboundPolicy = Policy(DefaultInboundPolicies.Deny) });
        await using var connection = await RawConnection.OpenAsync(server.Inbound);

        for (var i = 0; i < 3; i++)
        {
            await connection.SendAsync(Sidecar.Get(app.Port, $"/plain/{i}"));
            var response = await connection.ReadResponseAsync();

            Assert.Equal(403, response.Status);
            Assert.False(response.Has("Date")); // decided and answered on the fast path, the connection kept
            Assert.Equal(Forbidden, response.BodyText);
        }

        Assert.Empty(app.Received);
        Assert.Equal(0, app.Accepted);
    }

    [Theory]
    [InlineData("x-forwarded-client-cert: By=spiffe://cluster.local/ns/default/sa/server;URI=spiffe://cluster.local/ns/default/sa/client\r\n")]
    [InlineData("x-weft-peer-identity: spiffe://cluster.local/ns/default/sa/client\r\n")]
    [InlineData("x-spiffe-id: spiffe://cluster.local/ns/default/sa/client\r\n")]
    public async Task A_header_claiming_another_identity_changes_nothing(string spoof)
    {
        using var ca = new OutboundMeshCa();
        await using var app = ScriptedApp.Start(_ => ScriptedReply.Ok("app"));
        foreach (var fastPath in new[] { true, false })
        {
            await using var server = await ServerAsync(ca.Issue("server"), AllowOnly("client"), fastPath);

            var response = await GetAsMtlsAsync(server, ca.Issue("intruder"), app, extra: spoof);

            Assert.Equal(403, response.Status);
        }

        Assert.Empty(app.Received);
    }

    [Fact]
    public async Task A_denied_gRPC_call_is_PERMISSION_DENIED_trailers_only()
    {
        using var ca = new OutboundMeshCa();
        await using var app = ScriptedApp.Start(_ => ScriptedReply.Ok("app"));
        await using var server = await ServerAsync(ca.Issue("server"), AllowOnly("client"), fastPath: true);
        var intruder = ca.Issue("intruder");
        using var handler = new SocketsHttpHandler
        {
            SslOptions =
            {
                ClientCertificates = [intruder.Certificate],
                RemoteCertificateValidationCallback = (_, certificate, _, _) => RawConnection.ChainsTo(certificate, intruder.TrustBundle),
            },
        };
        using var client = new HttpClient(handler);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"https://{server.Inbound}/shop.Cart/Checkout")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent([0, 0, 0, 0, 0]),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.Add("weft-dst-port", app.PortText);
        request.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("7", response.Headers.GetValues("grpc-status").Single());
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(0, app.Accepted);
    }

    [Fact]
    public async Task A_denied_L4_connection_is_closed_before_a_byte_reaches_the_app()
    {
        using var ca = new OutboundMeshCa();
        await using var app = ScriptedApp.Start(_ => ScriptedReply.Ok("app"));
        await using var server = await ServerAsync(ca.Issue("server"), AllowOnly("client"), fastPath: true);
        await using var connection = await RawConnection.OpenMtlsAsync(server.Inbound, ca.Issue("intruder"), "weft-tcp");

        await connection.SendAsync(ProxyProtocolHeader.Format(null, "127.0.0.1", app.Port));
        await connection.SendAsync("GET / HTTP/1.1\r\nHost: app\r\n\r\n");

        Assert.True(await connection.ClosedByProxyAsync());
        Assert.Equal(0, app.Accepted);
        Assert.Empty(app.Received);
    }

    [Fact]
    public async Task An_allowed_L4_connection_reaches_the_app()
    {
        using var ca = new OutboundMeshCa();
        await using var app = ScriptedApp.Start(_ => ScriptedReply.Ok("app"));
        await using var server = await ServerAsync(ca.Issue("server"), AllowOnly("client"), fastPath: true);
        await using var connection = await RawConnection.OpenMtlsAsync(server.Inbound, ca.Issue("client"), "weft-tcp");

        await connection.SendAsync(ProxyProtocolHeader.Format(null, "127.0.0.1", app.Port));
        await connection.SendAsync("GET /tcp HTTP/1.1\r\nHost: app\r\n\r\n");
        var response = await connection.ReadResponseAsync();

        Assert.Equal("app", response.BodyText);
        Assert.Equal("/tcp", Assert.Single(app.Received).Target);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_removed_DENY_stops_denying_at_the_next_request_and_every_request_sees_one_whole_policy(bool fastPath)
    {
        using var ca = new OutboundMeshCa();
        await using var app = ScriptedApp.Start(_ => ScriptedReply.Ok("app"));
        // Two versions that differ in two policies at once: a DENY of "client" and an ALLOW of "client" only. A request
        // decided by half of each would be allowed for "other" (no DENY, no ALLOW) or denied for "client" by both.
        var denying = AuthorizationTable.Build(DenyFrom("client"));
        var allowing = AuthorizationTable.Build(AllowOnly("client"));
        var current = denying;
        await using var server = await Sidecar.StartAsync(options => options with
        {
            PodName = "server",
            Identity = ca.Issue("server"),
            InboundTables = () => Volatile.Read(ref current),
            Http1FastPath = fastPath,
        });
        var client = ca.Issue("client");
        using var stop = new CancellationTokenSource();
        var statuses = new System.Collections.Concurrent.ConcurrentQueue<(bool Denying, int Status)>();
        var traffic = Task.Run(async () =>
        {
            await using var connection = await RawConnection.OpenMtlsAsync(server.Inbound, client);
            while (!stop.IsCancellationRequested)
            {
                var before = ReferenceEquals(Volatile.Read(ref current), denying);
                await connection.SendAsync(Sidecar.Get(app.Port));
                var response = await connection.ReadResponseAsync();
                var after = ReferenceEquals(Volatile.Read(ref current), denying);
                if (before == after)
                {
                    statuses.Enqueue((before, response.Status));
                }
                else
                {
                    Assert.True(response.Status is 200 or 403, $"status {response.Status}");
                }
            }
        });

        await Eventually.TrueAsync(() => statuses.Count >= 5, "requests under the DENY");
        Volatile.Write(ref current, allowing);

        // The next request reads the new table: any request sent and answered wholly under the ALLOW that was denied
        // (a decision kept from before, for a while or for the connection) fails the check of every status below. Not a
        // bound on wall time, which a loaded machine can stretch past any figure without the sidecar being at fault.
        await Eventually.TrueAsync(() => statuses.Any(s => !s.Denying && s.Status == 200), "a request allowed once the DENY is gone");
        Volatile.Write(ref current, denying);
        await Eventually.TrueAsync(() => statuses.Count(s => s.Denying) >= 10, "more requests under the DENY again");
        await stop.CancelAsync();
        await traffic;

        Assert.All(statuses, s => Assert.Equal(s.Denying ? 403 : 200, s.Status));
    }

    [Fact]
    public async Task The_authz_counters_move_by_policy_rule_and_verdict()
    {
        using var ca = new OutboundMeshCa();
        await using var app = ScriptedApp.Start(_ => ScriptedReply.Ok("app"));
        await using var server = await ServerAsync(ca.Issue("server"), AllowOnly("client"), fastPath: true);

        await GetAsMtlsAsync(server, ca.Issue("client"), app);
        await GetAsMtlsAsync(server, ca.Issue("intruder"), app);
        await GetAsMtlsAsync(server, ca.Issue("intruder"), app);

        var metrics = await server.MetricsAsync();
        // The policy label is the decision's "namespace/name".
        Assert.Matches("weft_authz_allowed_total\\{policy=\"[a-z0-9-]+/allow-client\",rule=\"0\",verdict=\"allowed_by_policy\"\\} 1\n", metrics);
        // No ALLOW rule matched: labelled with the ALLOW policies that did not admit the caller, not the default (which did not decide).
        Assert.Matches("weft_authz_denied_total\\{policy=\"[a-z0-9-]+/allow-client\",rule=\"[^\"]*\",verdict=\"not_allowed_by_policy\"\\} 2\n", metrics);
        // Logged once for the interval, naming the caller; the second denial is counted, not logged.
        Assert.Single(server.Logs.Lines, l => l.Contains("Denied spiffe://cluster.local/ns/default/sa/intruder", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Before_any_inbound_policy_arrives_requests_get_503_connections_are_closed_and_the_sidecar_is_not_ready()
    {
        await using var app = ScriptedApp.Start(_ => ScriptedReply.Ok("app"));
        await using var server = await Sidecar.StartAsync(options => options with
        {
            Destinations = null,
            ControlPlane = new Uri($"http://127.0.0.1:{Ports.Closed().ToString(CultureInfo.InvariantCulture)}"), // nobody answers
            Http1FastPath = true,
        });
        using var admin = new HttpClient { BaseAddress = new Uri($"http://{server.Proxy.AdminEndpoint}") };

        await using (var connection = await RawConnection.OpenAsync(server.Inbound))
        {
            await connection.SendAsync(Sidecar.Get(app.Port));
            var response = await connection.ReadResponseAsync();

            Assert.Equal(503, response.Status);
            Assert.Equal("inbound policy not yet received\n", response.BodyText);
            Assert.Equal("close", response.Header("connection"));
            Assert.True(await connection.ClosedByProxyAsync());
        }

        await using (var tunnel = await RawConnection.OpenAsync(server.Inbound))
        {
            await tunnel.SendAsync(ProxyProtocolHeader.Format(null, "127.0.0.1", app.Port));
            await tunnel.SendAsync("GET / HTTP/1.1\r\nHost: app\r\n\r\n");

            Assert.True(await tunnel.ClosedByProxyAsync());
        }

        using var ready = await admin.GetAsync("/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal(0, app.Accepted);
    }

    [Fact]
    public void The_authz_counters_are_labelled_by_policy_rule_and_verdict_only()
    {
        var metrics = new ProxyMetrics();

        metrics.RecordAuthorization("allow-client", "0", AuthorizationVerdict.AllowedByPolicy, allowed: true);
        metrics.RecordAuthorization("allow-client", "0", AuthorizationVerdict.AllowedByPolicy, allowed: true);
        metrics.RecordAuthorization("default:deny", "", AuthorizationVerdict.DeniedByDefault, allowed: false);

        var text = metrics.WritePrometheus();
        Assert.Contains("# TYPE weft_authz_allowed_total counter\n", text, StringComparison.Ordinal);
        Assert.Contains("weft_authz_allowed_total{policy=\"allow-client\",rule=\"0\",verdict=\"allowed_by_policy\"} 2\n", text, StringComparison.Ordinal);
        Assert.Contains("weft_authz_denied_total{policy=\"default:deny\",rule=\"\",verdict=\"denied_by_default\"} 1\n", text, StringComparison.Ordinal);
    }
}
