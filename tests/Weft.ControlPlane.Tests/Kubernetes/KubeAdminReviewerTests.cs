using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Time.Testing;
using Weft.ControlPlane.Identity;
using Weft.ControlPlane.Kubernetes;
using Weft.ControlPlane.Tests.Support;
using Weft.Discovery;
using Weft.Discovery.V1;

namespace Weft.ControlPlane.Tests.Kubernetes;

/// <summary>
/// Operators in a cluster (issue 16: stat, tap and status "through the controller"): the kubeconfig user's own token,
/// which the controller has the API server review (TokenReview) and authorize (SubjectAccessReview of
/// <c>VERB RESOURCE.weft.dev</c> in the namespace asked), through the real client against the stand-in's RBAC.
/// </summary>
public sealed class KubeAdminReviewerTests
{
    private const string Service = "weft-controller.weft-system.svc";

    [Fact]
    public async Task An_operator_may_do_what_RBAC_binds_them_to_in_its_namespace_and_nothing_else()
    {
        await using var cluster = await KubeCluster.StartAsync();
        await cluster.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "shop" } });
        await cluster.Client.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = "dev" } }, "shop");
        var dev = cluster.Server.IssueToken("shop", "dev", null, [], TimeSpan.FromHours(1));
        var controller = await cluster.StartControllerAsync("replica-a");
        var roots = await cluster.TrustBundleAsync();

        // The cluster's admin (system:masters) may; the controller's certificate names its Service, whatever was dialled.
        var status = await DiscoveryClient.GetStatusAsync(controller.Address, Deadline(), roots, DiscoveryCredentials.Bearer(cluster.Server.AdminToken), Service);
        Assert.True(status.ModelVersion >= 0);
        var wrongName = await Assert.ThrowsAsync<RpcException>(() => DiscoveryClient.GetStatusAsync(controller.Address, Deadline(), roots, DiscoveryCredentials.Bearer(cluster.Server.AdminToken), "weft-controller.other.svc"));
        Assert.Contains("SSL", wrongName.Status.Detail + wrongName.Status.DebugException, StringComparison.Ordinal);

        // A user with no binding is known and refused, in words that say what to bind.
        var unbound = await Assert.ThrowsAsync<RpcException>(() => StatAsync(controller, roots, dev, "shop"));
        Assert.Equal(StatusCode.PermissionDenied, unbound.StatusCode);
        Assert.Equal("system:serviceaccount:shop:dev may not get stats.weft.dev in namespace shop (RBAC: bind the ClusterRole weft-mesh-viewer to them)", unbound.Status.Detail);

        await cluster.Client.RbacAuthorizationV1.CreateClusterRoleAsync(new V1ClusterRole
        {
            Metadata = new V1ObjectMeta { Name = "weft-mesh-viewer" },
            Rules = [new V1PolicyRule { ApiGroups = [AdminRequest.Group], Resources = [AdminRequest.StatusResource, AdminRequest.StatsResource], Verbs = ["get"] }],
        });
        await cluster.Client.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(new V1RoleBinding
        {
            Metadata = new V1ObjectMeta { Name = "dev-view", NamespaceProperty = "shop" },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = "weft-mesh-viewer" },
            Subjects = [new Rbacv1Subject { Kind = "ServiceAccount", Name = "dev" }],
        }, "shop");

        Assert.Empty((await StatAsync(controller, roots, dev, "shop")).Pods);
        var everyNamespace = await Assert.ThrowsAsync<RpcException>(() => StatAsync(controller, roots, dev, null));
        Assert.Equal(StatusCode.PermissionDenied, everyNamespace.StatusCode);
        Assert.Contains("may not get stats.weft.dev in every namespace", everyNamespace.Status.Detail, StringComparison.Ordinal);
        var status403 = await Assert.ThrowsAsync<RpcException>(() => DiscoveryClient.GetStatusAsync(controller.Address, Deadline(), roots, DiscoveryCredentials.Bearer(dev), Service));
        Assert.Equal(StatusCode.PermissionDenied, status403.StatusCode);
        var tap = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var _ in DiscoveryClient.TapAsync(controller.Address, new TapRequest { Namespace = "shop", TargetKind = "deploy", TargetName = "web" }, roots, DiscoveryCredentials.Bearer(dev), Deadline(), Service))
            {
            }
        });
        Assert.Equal(StatusCode.PermissionDenied, tap.StatusCode);
        Assert.Contains("may not watch taps.weft.dev in namespace shop (RBAC: bind the ClusterRole weft-tap to them)", tap.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_the_API_server_does_not_vouch_for_is_unauthenticated_and_the_local_admin_shape_is_refused()
    {
        await using var cluster = await KubeCluster.StartAsync();
        await cluster.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "shop" } });
        await cluster.Client.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = "web" } }, "shop");
        var workload = cluster.Server.IssueToken("shop", "web", null, ["weft"], TimeSpan.FromHours(1));
        var controller = await cluster.StartControllerAsync("replica-a");
        var roots = await cluster.TrustBundleAsync();

        // A sidecar's token is for audience weft, not the API server's: it proves no operator.
        var sidecar = await Assert.ThrowsAsync<RpcException>(() => StatAsync(controller, roots, workload, "shop"));
        Assert.Equal(StatusCode.Unauthenticated, sidecar.StatusCode);
        Assert.Contains("the API server refused the token", sidecar.Status.Detail, StringComparison.Ordinal);
        var garbage = await Assert.ThrowsAsync<RpcException>(() => StatAsync(controller, roots, "not-a-token", "shop"));
        Assert.Equal(StatusCode.Unauthenticated, garbage.StatusCode);

        // The local mode's admin credential has no meaning to a cluster's controller (its own lives in memory only).
        var localShape = await Assert.ThrowsAsync<RpcException>(() => StatAsync(controller, roots, "weft-admin.guess", "shop"));
        Assert.Equal(StatusCode.PermissionDenied, localShape.StatusCode);
        Assert.Contains("stat is for the admin credential", localShape.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_allowed_review_is_reused_for_ten_seconds_and_a_refusal_never()
    {
        await using var cluster = await KubeCluster.StartAsync();
        await cluster.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "shop" } });
        await cluster.Client.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = "dev" } }, "shop");
        var dev = cluster.Server.IssueToken("shop", "dev", null, [], TimeSpan.FromHours(1));
        var clock = FakeClock.AtNow();
        using var reviewer = new KubeAdminReviewer(cluster.Client, clock);
        var request = AdminRequest.Tap("shop");

        Assert.Equal(AdminVerdict.Denied, (await reviewer.ReviewAsync(dev, request, CancellationToken.None)).Verdict);
        await cluster.Client.RbacAuthorizationV1.CreateClusterRoleAsync(new V1ClusterRole
        {
            Metadata = new V1ObjectMeta { Name = "weft-tap" },
            Rules = [new V1PolicyRule { ApiGroups = [AdminRequest.Group], Resources = [AdminRequest.TapsResource], Verbs = ["watch"] }],
        });
        var binding = new V1RoleBinding
        {
            Metadata = new V1ObjectMeta { Name = "dev-tap", NamespaceProperty = "shop" },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = "weft-tap" },
            Subjects = [new Rbacv1Subject { Kind = "ServiceAccount", Name = "dev" }],
        };
        await cluster.Client.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(binding, "shop");

        // The refusal was not kept: the binding counts at once.
        var allowed = await reviewer.ReviewAsync(dev, request, CancellationToken.None);
        Assert.Equal(AdminVerdict.Allowed, allowed.Verdict);
        Assert.Equal("system:serviceaccount:shop:dev", allowed.User);

        await cluster.Client.RbacAuthorizationV1.DeleteNamespacedRoleBindingAsync("dev-tap", "shop");
        clock.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal(AdminVerdict.Allowed, (await reviewer.ReviewAsync(dev, request, CancellationToken.None)).Verdict);
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(AdminVerdict.Denied, (await reviewer.ReviewAsync(dev, request, CancellationToken.None)).Verdict);

        // Another namespace is another question.
        Assert.Equal(AdminVerdict.Denied, (await reviewer.ReviewAsync(dev, AdminRequest.Tap("default"), CancellationToken.None)).Verdict);
    }

    private static CancellationToken Deadline() => new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token;

    private static Task<StatReply> StatAsync(KubeController controller, X509Certificate2Collection roots, string token, string? ns) =>
        DiscoveryClient.StatAsync(controller.Address, new StatRequest { Namespace = ns ?? "", AllNamespaces = ns is null, WindowSeconds = 10 }, roots, DiscoveryCredentials.Bearer(token), Deadline(), Service);
}
