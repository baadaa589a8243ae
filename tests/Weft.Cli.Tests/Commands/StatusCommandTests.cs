using Google.Protobuf;
using Weft.Api;
using Weft.Cli.Commands;
using Weft.ControlPlane.Kubernetes;
using Weft.Discovery;
using Weft.Discovery.V1;
using Weft.Routing;

namespace Weft.Cli.Tests.Commands;

/// <summary>`weft status` prints what the control plane's StatusReply carries.</summary>
public sealed class StatusCommandTests
{
    [Fact]
    public void Backend_statuses_print_with_their_targets_parents_and_reasons()
    {
        var load = ManifestLoader.LoadText("""
            apiVersion: v1
            kind: Service
            metadata: {name: echo, namespace: shop}
            spec: {clusterIP: 10.96.0.10, ports: [{name: http, port: 80}]}
            ---
            apiVersion: gateway.networking.x-k8s.io/v1alpha1
            kind: XBackend
            metadata: {name: api, namespace: shop}
            spec: {type: ExternalHostname, externalHostname: {hostname: api.example.test}, port: {port: 80}, protocol: MCP}
            ---
            apiVersion: gateway.networking.x-k8s.io/v1alpha1
            kind: XBackend
            metadata: {name: unused, namespace: shop}
            spec: {type: ExternalHostname, externalHostname: {hostname: unused.example.test}, port: {port: 80}}
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: to-api, namespace: shop}
            spec:
              parentRefs: [{group: "", kind: Service, name: echo, port: 80}]
              rules: [{backendRefs: [{group: gateway.networking.x-k8s.io, kind: XBackend, name: api}]}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: BackendTLSPolicy
            metadata: {name: echo-tls, namespace: shop}
            spec:
              targetRefs: [{group: "", kind: Service, name: echo, sectionName: grpc}]
              validation: {hostname: echo.example.test, wellKnownCACertificates: System}
            ---
            apiVersion: policy.weft.dev/v1alpha1
            kind: AuthorizationPolicy
            metadata: {name: allow-client, namespace: shop}
            spec:
              targetRefs:
              - {group: "", kind: Pod, selector: {matchLabels: {app: echo}}}
              - {group: gateway.networking.k8s.io, kind: HTTPRoute, name: to-api}
              action: ALLOW
              rules: [{sources: [{type: ServiceAccount, serviceAccount: {namespace: shop, name: client}}]}]
            """, "backends.yaml");
        Assert.Empty(load.Problems);
        var model = MeshModel.Build(MeshSnapshot.From(load.Objects));
        var reply = new StatusReply
        {
            RouteStatusesJson = ByteString.CopyFrom(StatusJson.ToUtf8Bytes(model.Statuses, DateTimeOffset.UnixEpoch)),
            BackendStatusesJson = ByteString.CopyFrom(BackendStatusJson.ToUtf8Bytes(model, DateTimeOffset.UnixEpoch)),
            AuthorizationStatusesJson = ByteString.CopyFrom(AuthorizationStatusJson.ToUtf8Bytes(model, DateTimeOffset.UnixEpoch)),
        };

        var w = new StringWriter();
        StatusCommand.WriteStatusReply(w, reply);

        var text = w.ToString();
        Assert.Contains("XBackend shop/api\n  parent Service shop/echo\n    ✗ Accepted         False   UnsupportedValue   XBackend shop/api has protocol MCP", text, StringComparison.Ordinal);
        Assert.Contains("XBackend shop/unused\n  no mesh route refers to it\n", text, StringComparison.Ordinal);
        Assert.Contains("BackendTLSPolicy shop/echo-tls\n  target Service shop/echo section grpc\n    ✗ Accepted         False   TargetNotFound", text, StringComparison.Ordinal);
        Assert.Contains("✓ ResolvedRefs     True    ResolvedRefs", text, StringComparison.Ordinal);

        // Each reference with its namespace, as weft validate writes it (an AuthorizationPolicy's targets without their group).
        Assert.Contains("AuthorizationPolicy shop/allow-client\n  target Pod selector\n", text, StringComparison.Ordinal);
        Assert.Contains("\n  target HTTPRoute shop/to-api\n", text, StringComparison.Ordinal);
    }
}
