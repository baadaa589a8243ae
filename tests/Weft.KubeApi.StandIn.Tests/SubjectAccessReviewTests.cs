using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Weft.KubeApi.StandIn.Tests.Infrastructure;

namespace Weft.KubeApi.StandIn.Tests;

/// <summary>
/// SubjectAccessReview and TokenReview as kube-apiserver answers them (RBAC and the privileged group), through the
/// official C# client: what Weft's controller asks before an operator may read status, stat or tap.
/// </summary>
public sealed class SubjectAccessReviewTests
{
    private const string Rbac = "rbac.authorization.k8s.io";

    private static V1SubjectAccessReview Review(string user, string[] groups, string verb, string resource, string? ns, string group = "weft.dev", string? name = null) => new()
    {
        Spec = new V1SubjectAccessReviewSpec
        {
            User = user,
            Groups = groups,
            ResourceAttributes = new V1ResourceAttributes { Group = group, Resource = resource, Verb = verb, NamespaceProperty = ns ?? "", Name = name },
        },
    };

    private static async Task<bool> AllowedAsync(Kubernetes client, string user, string verb, string resource, string? ns, string[]? groups = null, string? name = null) =>
        (await client.AuthorizationV1.CreateSubjectAccessReviewAsync(Review(user, groups ?? ["system:authenticated"], verb, resource, ns, name: name))).Status.Allowed;

    private static async Task ClusterRoleAsync(Kubernetes client, string name, V1PolicyRule rule) =>
        await client.RbacAuthorizationV1.CreateClusterRoleAsync(new V1ClusterRole { Metadata = new V1ObjectMeta { Name = name }, Rules = [rule] });

    private static V1PolicyRule Rule(string verb, string resource, string[]? names = null) =>
        new() { ApiGroups = ["weft.dev"], Resources = [resource], Verbs = [verb], ResourceNames = names };

    [Fact]
    public async Task Members_of_system_masters_may_do_everything()
    {
        await using var k = await TestCluster.StartAsync();
        Assert.True(await AllowedAsync(k.Client, "kubernetes-admin", "watch", "taps", null, ["system:masters", "system:authenticated"]));
        Assert.True(await AllowedAsync(k.Client, "kubernetes-admin", "delete", "secrets", "kube-system", ["system:masters"]));
    }

    [Fact]
    public async Task Without_a_binding_nothing_is_allowed_and_no_reason_is_given()
    {
        await using var k = await TestCluster.StartAsync();
        await ClusterRoleAsync(k.Client, "weft-tap", Rule("watch", "taps"));
        var review = await k.Client.AuthorizationV1.CreateSubjectAccessReviewAsync(Review("alice", ["system:authenticated"], "watch", "taps", "shop"));
        Assert.False(review.Status.Allowed);
        Assert.True(string.IsNullOrEmpty(review.Status.Reason));
    }

    [Fact]
    public async Task A_ClusterRoleBinding_allows_in_every_namespace_and_cluster_wide_with_RBACs_reason()
    {
        await using var k = await TestCluster.StartAsync();
        await ClusterRoleAsync(k.Client, "weft-mesh-viewer", Rule("get", "stats"));
        await k.Client.RbacAuthorizationV1.CreateClusterRoleBindingAsync(new V1ClusterRoleBinding
        {
            Metadata = new V1ObjectMeta { Name = "ops-view" },
            RoleRef = new V1RoleRef { ApiGroup = Rbac, Kind = "ClusterRole", Name = "weft-mesh-viewer" },
            Subjects = [new Rbacv1Subject { Kind = "Group", Name = "ops", ApiGroup = Rbac }],
        });

        var review = await k.Client.AuthorizationV1.CreateSubjectAccessReviewAsync(Review("bob", ["ops"], "get", "stats", null));
        Assert.True(review.Status.Allowed);
        Assert.Equal("RBAC: allowed by ClusterRoleBinding \"ops-view\" of ClusterRole \"weft-mesh-viewer\" to Group \"ops\"", review.Status.Reason);
        Assert.True(await AllowedAsync(k.Client, "bob", "get", "stats", "shop", ["ops"]));
        Assert.False(await AllowedAsync(k.Client, "bob", "watch", "stats", "shop", ["ops"]));
        Assert.False(await AllowedAsync(k.Client, "bob", "get", "taps", "shop", ["ops"]));
        Assert.False(await AllowedAsync(k.Client, "carol", "get", "stats", "shop"));
    }

    [Fact]
    public async Task A_RoleBinding_allows_only_in_its_namespace_and_a_ServiceAccount_subject_defaults_to_it()
    {
        await using var k = await TestCluster.StartAsync();
        await ClusterRoleAsync(k.Client, "weft-tap", Rule("watch", "taps"));
        await k.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "shop" } });
        await k.Client.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(new V1RoleBinding
        {
            Metadata = new V1ObjectMeta { Name = "dev-tap", NamespaceProperty = "shop" },
            RoleRef = new V1RoleRef { ApiGroup = Rbac, Kind = "ClusterRole", Name = "weft-tap" },
            Subjects = [new Rbacv1Subject { Kind = "ServiceAccount", Name = "dev" }],
        }, "shop");

        var sa = "system:serviceaccount:shop:dev";
        var review = await k.Client.AuthorizationV1.CreateSubjectAccessReviewAsync(Review(sa, ["system:serviceaccounts"], "watch", "taps", "shop"));
        Assert.True(review.Status.Allowed);
        Assert.Equal("RBAC: allowed by RoleBinding \"dev-tap/shop\" of ClusterRole \"weft-tap\" to ServiceAccount \"dev/shop\"", review.Status.Reason);
        Assert.False(await AllowedAsync(k.Client, sa, "watch", "taps", "default"));
        Assert.False(await AllowedAsync(k.Client, sa, "watch", "taps", null));
        Assert.False(await AllowedAsync(k.Client, "system:serviceaccount:other:dev", "watch", "taps", "shop"));
    }

    [Fact]
    public async Task A_Role_rule_matches_its_resource_names_subresources_and_wildcards()
    {
        await using var k = await TestCluster.StartAsync();
        await k.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "shop" } });
        await k.Client.RbacAuthorizationV1.CreateNamespacedRoleAsync(new V1Role
        {
            Metadata = new V1ObjectMeta { Name = "narrow", NamespaceProperty = "shop" },
            Rules =
            [
                new V1PolicyRule { ApiGroups = [""], Resources = ["configmaps"], Verbs = ["get"], ResourceNames = ["weft-trust-bundle"] },
                new V1PolicyRule { ApiGroups = ["*"], Resources = ["*/status"], Verbs = ["update"] },
            ],
        }, "shop");
        await k.Client.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(new V1RoleBinding
        {
            Metadata = new V1ObjectMeta { Name = "narrow", NamespaceProperty = "shop" },
            RoleRef = new V1RoleRef { ApiGroup = Rbac, Kind = "Role", Name = "narrow" },
            Subjects = [new Rbacv1Subject { Kind = "User", Name = "dave", ApiGroup = Rbac }],
        }, "shop");

        async Task<bool> Dave(string verb, string group, string resource, string? subresource = null, string? name = null) =>
            (await k.Client.AuthorizationV1.CreateSubjectAccessReviewAsync(new V1SubjectAccessReview
            {
                Spec = new V1SubjectAccessReviewSpec
                {
                    User = "dave",
                    ResourceAttributes = new V1ResourceAttributes { NamespaceProperty = "shop", Verb = verb, Group = group, Resource = resource, Subresource = subresource, Name = name },
                },
            })).Status.Allowed;

        Assert.True(await Dave("get", "", "configmaps", name: "weft-trust-bundle"));
        Assert.False(await Dave("get", "", "configmaps", name: "other"));
        Assert.False(await Dave("get", "", "configmaps"));
        Assert.True(await Dave("update", "gateway.networking.k8s.io", "httproutes", "status", "r"));
        Assert.False(await Dave("update", "gateway.networking.k8s.io", "httproutes", null, "r"));
    }

    [Fact]
    public async Task A_review_without_attributes_or_without_a_subject_is_422_Invalid()
    {
        await using var k = await TestCluster.StartAsync();
        var noAttributes = await Assert.ThrowsAsync<HttpOperationException>(() => k.Client.AuthorizationV1.CreateSubjectAccessReviewAsync(
            new V1SubjectAccessReview { Spec = new V1SubjectAccessReviewSpec { User = "alice" } }));
        Assert.Equal((HttpStatusCode)422, noAttributes.Response.StatusCode);
        Assert.Contains("exactly one of nonResourceAttributes or resourceAttributes must be specified", noAttributes.Response.Content, StringComparison.Ordinal);

        var noSubject = await Assert.ThrowsAsync<HttpOperationException>(() => k.Client.AuthorizationV1.CreateSubjectAccessReviewAsync(
            new V1SubjectAccessReview { Spec = new V1SubjectAccessReviewSpec { ResourceAttributes = new V1ResourceAttributes { Verb = "get", Resource = "pods" } } }));
        Assert.Equal((HttpStatusCode)422, noSubject.Response.StatusCode);
        Assert.Contains("at least one of user or group must be specified", noSubject.Response.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_static_admin_token_reviews_as_kubernetes_admin_for_the_API_audience_only()
    {
        await using var k = await TestCluster.StartAsync();
        var review = await k.Client.AuthenticationV1.CreateTokenReviewAsync(new V1TokenReview { Spec = new V1TokenReviewSpec { Token = k.Server.AdminToken } });
        Assert.True(review.Status.Authenticated);
        Assert.Equal("kubernetes-admin", review.Status.User.Username);
        Assert.Contains("system:masters", review.Status.User.Groups);

        var forWeft = await k.Client.AuthenticationV1.CreateTokenReviewAsync(new V1TokenReview { Spec = new V1TokenReviewSpec { Token = k.Server.AdminToken, Audiences = ["weft"] } });
        Assert.NotEqual(true, forWeft.Status.Authenticated);
        Assert.NotNull(forWeft.Status.Error);
    }
}
