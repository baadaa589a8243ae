using System.Text.Json.Nodes;

namespace Weft.KubeApi.StandIn.Internal;

/// <summary>
/// SubjectAccessReview (<c>authorization.k8s.io/v1</c>, create only, never stored), answered as kube-apiserver's
/// authorizer chain answers it for a resource request: members of <c>system:masters</c> may do everything (the
/// privileged-group authorizer); otherwise RBAC (<c>plugin/pkg/auth/authorizer/rbac</c>) allows when a ClusterRoleBinding,
/// or a RoleBinding in the request's namespace, binds the user (User by name, Group by membership, ServiceAccount by
/// <c>system:serviceaccount:NS:NAME</c>, the binding's namespace when the subject names none) to a Role or ClusterRole
/// with a rule matching the verb, API group, resource (<c>res</c>, <c>res/sub</c>, <c>*/sub</c>, <c>*</c>) and name.
/// Not modelled: aggregated ClusterRoles (no controller fills their rules), non-resource URLs (always denied), and
/// requests are not themselves authorized: every valid token may still do everything (see README).
/// </summary>
internal sealed class RbacAuthorizer(ObjectStore store)
{
    private const string MastersGroup = "system:masters";
    private const string ServiceAccountPrefix = "system:serviceaccount:";

    /// <summary>POST <c>subjectaccessreviews</c>: the review with its status filled in.</summary>
    public JsonObject Review(JsonObject body)
    {
        var spec = body["spec"] as JsonObject ?? [];
        var user = spec["user"]?.ToString() ?? "";
        var groups = spec["groups"] is JsonArray g ? g.Select(x => x?.ToString() ?? "").ToList() : [];
        var resource = spec["resourceAttributes"] as JsonObject;
        var nonResource = spec["nonResourceAttributes"] as JsonObject;
        if ((resource is null) == (nonResource is null))
        {
            throw ApiException.Invalid(BuiltInResources.SubjectAccessReviews, "", "spec.resourceAttributes",
                "FieldValueInvalid", "Invalid value: \"null\": exactly one of nonResourceAttributes or resourceAttributes must be specified");
        }

        if (user.Length == 0 && groups.Count == 0)
        {
            throw ApiException.Invalid(BuiltInResources.SubjectAccessReviews, "", "spec.user",
                "FieldValueInvalid", "Invalid value: \"\": at least one of user or group must be specified");
        }

        var (allowed, reason) = resource is null ? (false, "") : Decide(user, groups, Attributes.Of(resource));
        var status = new JsonObject { ["allowed"] = allowed };
        if (reason.Length > 0)
        {
            status["reason"] = reason;
        }

        return new JsonObject
        {
            ["kind"] = "SubjectAccessReview",
            ["apiVersion"] = "authorization.k8s.io/v1",
            ["metadata"] = new JsonObject { ["creationTimestamp"] = null },
            ["spec"] = spec.DeepClone(),
            ["status"] = status,
        };
    }

    /// <summary>Whether <paramref name="user"/> (in <paramref name="groups"/>) may, and RBAC's reason when it allows.</summary>
    public (bool Allowed, string Reason) Decide(string user, IReadOnlyCollection<string> groups, Attributes request)
    {
        if (groups.Contains(MastersGroup))
        {
            return (true, "");
        }

        lock (store.Gate)
        {
            foreach (var binding in store.Items(BuiltInResources.ClusterRoleBindings.StorageKey))
            {
                if (Bound(binding, user, groups, null) is { } subject && RoleAllows(binding, null, request) is { } role)
                {
                    return (true, $"RBAC: allowed by ClusterRoleBinding \"{ObjectMeta.Name(binding)}\" of {role} to {Describe(subject, null)}");
                }
            }

            if (request.Namespace.Length > 0)
            {
                foreach (var binding in store.Items(BuiltInResources.RoleBindings.StorageKey).Where(b => ObjectMeta.Namespace(b) == request.Namespace))
                {
                    if (Bound(binding, user, groups, request.Namespace) is { } subject && RoleAllows(binding, request.Namespace, request) is { } role)
                    {
                        return (true, $"RBAC: allowed by RoleBinding \"{ObjectMeta.Name(binding)}/{request.Namespace}\" of {role} to {Describe(subject, request.Namespace)}");
                    }
                }
            }
        }

        return (false, "");
    }

    /// <summary>The binding's first subject that is the user (or one of its groups); null when none is.</summary>
    private static JsonObject? Bound(JsonObject binding, string user, IReadOnlyCollection<string> groups, string? bindingNamespace) =>
        binding["subjects"] is JsonArray subjects ? subjects.OfType<JsonObject>().FirstOrDefault(s => Matches(s, user, groups, bindingNamespace)) : null;

    private static bool Matches(JsonObject subject, string user, IReadOnlyCollection<string> groups, string? bindingNamespace)
    {
        var name = subject["name"]?.ToString() ?? "";
        switch (subject["kind"]?.ToString())
        {
            case "User":
                return name == user;
            case "Group":
                return groups.Contains(name);
            case "ServiceAccount":
                var ns = subject["namespace"]?.ToString() is { Length: > 0 } given ? given : bindingNamespace ?? "";
                return ns.Length > 0 && user == $"{ServiceAccountPrefix}{ns}:{name}";
            default:
                return false;
        }
    }

    /// <summary>A subject as RBAC's reason names it: <c>Group "ops"</c>, <c>ServiceAccount "dev/shop"</c>.</summary>
    private static string Describe(JsonObject subject, string? bindingNamespace) =>
        subject["kind"]?.ToString() == "ServiceAccount"
            ? $"ServiceAccount \"{subject["name"]}/{(subject["namespace"]?.ToString() is { Length: > 0 } n ? n : bindingNamespace)}\""
            : $"{subject["kind"]} \"{subject["name"]}\"";

    /// <summary>The bound role, named as RBAC's reason names it, when one of its rules allows the request; else null.</summary>
    private string? RoleAllows(JsonObject binding, string? bindingNamespace, Attributes request)
    {
        var roleRef = binding["roleRef"] as JsonObject;
        var kind = roleRef?["kind"]?.ToString();
        var name = roleRef?["name"]?.ToString() ?? "";
        var role = kind switch
        {
            "ClusterRole" => store.Get(BuiltInResources.ClusterRoles.StorageKey, new ObjectKey("", name)),
            "Role" when bindingNamespace is not null => store.Get(BuiltInResources.Roles.StorageKey, new ObjectKey(bindingNamespace, name)),
            _ => null,
        };
        return role?["rules"] is JsonArray rules && rules.OfType<JsonObject>().Any(r => RuleAllows(r, request))
            ? $"{kind} \"{name}\""
            : null;
    }

    private static bool RuleAllows(JsonObject rule, Attributes request)
    {
        var verbs = Strings(rule["verbs"]);
        var apiGroups = Strings(rule["apiGroups"]);
        var resources = Strings(rule["resources"]);
        var names = Strings(rule["resourceNames"]);
        var combined = request.Subresource.Length == 0 ? request.Resource : request.Resource + "/" + request.Subresource;
        return (verbs.Contains("*") || verbs.Contains(request.Verb))
            && (apiGroups.Contains("*") || apiGroups.Contains(request.Group))
            && resources.Any(r => r == "*" || r == combined || (request.Subresource.Length > 0 && r == "*/" + request.Subresource))
            && (names.Count == 0 || names.Contains(request.Name));
    }

    private static List<string> Strings(JsonNode? node) => node is JsonArray a ? [.. a.Select(x => x?.ToString() ?? "")] : [];

    /// <summary>A review's <c>resourceAttributes</c>; each absent field is "".</summary>
    internal sealed record Attributes(string Namespace, string Verb, string Group, string Resource, string Subresource, string Name)
    {
        public static Attributes Of(JsonObject a) => new(
            Text(a, "namespace"), Text(a, "verb"), Text(a, "group"), Text(a, "resource"), Text(a, "subresource"), Text(a, "name"));

        private static string Text(JsonObject a, string field) => a[field]?.ToString() ?? "";
    }
}
