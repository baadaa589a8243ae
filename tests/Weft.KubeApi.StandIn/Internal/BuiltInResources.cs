namespace Weft.KubeApi.StandIn.Internal;

/// <summary>The built-in resources the stand-in serves, named as the real API server names them in discovery.</summary>
internal static class BuiltInResources
{
    private static HashSet<string> Status(string version) => [version];

    public static readonly ResourceType Namespaces = new()
    {
        Group = "", Plural = "namespaces", Singular = "namespace", Kind = "Namespace", Namespaced = false,
        ShortNames = ["ns"], Versions = ["v1"], StorageVersion = "v1", StatusVersions = Status("v1"),
    };

    public static readonly ResourceType Services = new()
    {
        Group = "", Plural = "services", Singular = "service", Kind = "Service", Namespaced = true,
        ShortNames = ["svc"], Categories = ["all"], Versions = ["v1"], StorageVersion = "v1", StatusVersions = Status("v1"),
        DeleteReturnsObject = true,
    };

    public static readonly ResourceType Pods = new()
    {
        Group = "", Plural = "pods", Singular = "pod", Kind = "Pod", Namespaced = true,
        ShortNames = ["po"], Categories = ["all"], Versions = ["v1"], StorageVersion = "v1", StatusVersions = Status("v1"),
        DeleteReturnsObject = true,
    };

    /// <summary>Cluster-scoped; a kubelet registers its own (with its status: a Node is created with it) and keeps its Ready condition.</summary>
    public static readonly ResourceType Nodes = new()
    {
        Group = "", Plural = "nodes", Singular = "node", Kind = "Node", Namespaced = false,
        ShortNames = ["no"], Versions = ["v1"], StorageVersion = "v1", StatusVersions = Status("v1"),
    };

    public static readonly ResourceType ServiceAccounts = new()
    {
        Group = "", Plural = "serviceaccounts", Singular = "serviceaccount", Kind = "ServiceAccount", Namespaced = true,
        ShortNames = ["sa"], Versions = ["v1"], StorageVersion = "v1", DeleteReturnsObject = true,
    };

    public static readonly ResourceType Secrets = new()
    {
        Group = "", Plural = "secrets", Singular = "secret", Kind = "Secret", Namespaced = true,
        Versions = ["v1"], StorageVersion = "v1",
    };

    public static readonly ResourceType ConfigMaps = new()
    {
        Group = "", Plural = "configmaps", Singular = "configmap", Kind = "ConfigMap", Namespaced = true,
        ShortNames = ["cm"], Versions = ["v1"], StorageVersion = "v1",
    };

    public static readonly ResourceType EndpointSlices = new()
    {
        Group = "discovery.k8s.io", Plural = "endpointslices", Singular = "endpointslice", Kind = "EndpointSlice",
        Namespaced = true, Versions = ["v1"], StorageVersion = "v1",
    };

    public static readonly ResourceType Leases = new()
    {
        Group = "coordination.k8s.io", Plural = "leases", Singular = "lease", Kind = "Lease", Namespaced = true,
        Versions = ["v1"], StorageVersion = "v1",
    };

    public static readonly ResourceType TokenReviews = new()
    {
        Group = "authentication.k8s.io", Plural = "tokenreviews", Singular = "tokenreview", Kind = "TokenReview",
        Namespaced = false, Versions = ["v1"], StorageVersion = "v1", CreateOnly = true,
    };

    /// <summary>Answered by <see cref="RbacAuthorizer"/>.</summary>
    public static readonly ResourceType SubjectAccessReviews = new()
    {
        Group = "authorization.k8s.io", Plural = "subjectaccessreviews", Singular = "subjectaccessreview", Kind = "SubjectAccessReview",
        Namespaced = false, Versions = ["v1"], StorageVersion = "v1", CreateOnly = true,
    };

    public static readonly ResourceType CustomResourceDefinitions = new()
    {
        Group = "apiextensions.k8s.io", Plural = "customresourcedefinitions", Singular = "customresourcedefinition",
        Kind = "CustomResourceDefinition", Namespaced = false, ShortNames = ["crd", "crds"], Versions = ["v1"],
        StorageVersion = "v1", StatusVersions = Status("v1"),
    };

    /// <summary>No controller runs behind them: a Deployment makes no ReplicaSets or Pods, its status stays as written.</summary>
    public static readonly ResourceType Deployments = new()
    {
        Group = "apps", Plural = "deployments", Singular = "deployment", Kind = "Deployment", Namespaced = true,
        ShortNames = ["deploy"], Categories = ["all"], Versions = ["v1"], StorageVersion = "v1", StatusVersions = Status("v1"),
    };

    public static readonly ResourceType ClusterRoles = new()
    {
        Group = "rbac.authorization.k8s.io", Plural = "clusterroles", Singular = "clusterrole", Kind = "ClusterRole",
        Namespaced = false, Versions = ["v1"], StorageVersion = "v1",
    };

    public static readonly ResourceType ClusterRoleBindings = new()
    {
        Group = "rbac.authorization.k8s.io", Plural = "clusterrolebindings", Singular = "clusterrolebinding", Kind = "ClusterRoleBinding",
        Namespaced = false, Versions = ["v1"], StorageVersion = "v1",
    };

    public static readonly ResourceType Roles = new()
    {
        Group = "rbac.authorization.k8s.io", Plural = "roles", Singular = "role", Kind = "Role",
        Namespaced = true, Versions = ["v1"], StorageVersion = "v1",
    };

    public static readonly ResourceType RoleBindings = new()
    {
        Group = "rbac.authorization.k8s.io", Plural = "rolebindings", Singular = "rolebinding", Kind = "RoleBinding",
        Namespaced = true, Versions = ["v1"], StorageVersion = "v1",
    };

    /// <summary>Read by <see cref="MutatingAdmission"/> on every create (and update a rule names).</summary>
    public static readonly ResourceType MutatingWebhookConfigurations = new()
    {
        Group = "admissionregistration.k8s.io", Plural = "mutatingwebhookconfigurations", Singular = "mutatingwebhookconfiguration",
        Kind = "MutatingWebhookConfiguration", Namespaced = false, Versions = ["v1"], StorageVersion = "v1",
    };

    /// <summary>Stored and served only: validating webhooks are not called.</summary>
    public static readonly ResourceType ValidatingWebhookConfigurations = new()
    {
        Group = "admissionregistration.k8s.io", Plural = "validatingwebhookconfigurations", Singular = "validatingwebhookconfiguration",
        Kind = "ValidatingWebhookConfiguration", Namespaced = false, Versions = ["v1"], StorageVersion = "v1",
    };

    public static IReadOnlyList<ResourceType> All { get; } =
    [
        Namespaces, Services, Pods, Nodes, ServiceAccounts, Secrets, ConfigMaps, EndpointSlices, Leases, TokenReviews, SubjectAccessReviews, CustomResourceDefinitions,
        Deployments, ClusterRoles, ClusterRoleBindings, Roles, RoleBindings, MutatingWebhookConfigurations, ValidatingWebhookConfigurations,
    ];
}
