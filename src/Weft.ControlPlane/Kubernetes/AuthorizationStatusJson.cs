using System.Text.Json.Nodes;
using Weft.Api.Model;
using Weft.Routing;
using Weft.Routing.Authorization;

namespace Weft.ControlPlane.Kubernetes;

/// <summary>
/// An AuthorizationPolicy's <c>status.ancestors[]</c> as API objects hold it (GEP-713 policy status): one entry per
/// targetRef and controller, <c>{ancestorRef, controllerName, conditions}</c>, where <c>ancestorRef</c> is the targetRef
/// as written plus the policy's namespace. <see cref="KubeStatusWriter"/> writes what <see cref="StatusFor"/> makes.
/// </summary>
public static class AuthorizationStatusJson
{
    /// <summary><c>status.ancestors</c> has <c>maxItems: 16</c> in Weft's CRD, as <c>spec.targetRefs</c> has.</summary>
    public const int MaxAncestors = 16;

    /// <summary>The targetRef as written (group, kind, and name, sectionName or selector when set), plus <paramref name="ns"/>.</summary>
    public static JsonObject AncestorRef(AuthorizationTargetReference target, string ns)
    {
        ArgumentNullException.ThrowIfNull(target);
        var json = new JsonObject { ["group"] = target.Group, ["kind"] = target.Kind, ["namespace"] = ns };
        if (target.Name is not null)
        {
            json["name"] = target.Name;
        }

        if (target.SectionName is not null)
        {
            json["sectionName"] = target.SectionName;
        }

        if (target.Selector is { } selector)
        {
            json["selector"] = Selector(selector);
        }

        return json;
    }

    /// <summary>
    /// Every AuthorizationPolicy's status in <paramref name="statuses"/> as a JSON array of
    /// <c>{kind, namespace, name, status}</c>, the status as <see cref="StatusFor"/> writes it on a policy that has none
    /// (for <c>weft status</c> and <c>weft validate</c>).
    /// </summary>
    public static JsonArray ToArray(IReadOnlyList<AuthorizationPolicyStatus> statuses, string controllerName, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(statuses);
        var all = new JsonArray();
        foreach (var p in statuses)
        {
            all.Add(new JsonObject
            {
                ["kind"] = AuthorizationPolicy.KindName,
                ["namespace"] = p.Namespace,
                ["name"] = p.Name,
                ["status"] = StatusFor(new JsonObject(), p, controllerName, now) ?? new JsonObject(),
            });
        }

        return all;
    }

    /// <summary>
    /// Every AuthorizationPolicy's status as the API server holds it, in <see cref="ToArray"/>'s shape, with only
    /// <paramref name="controllerName"/>'s ancestor entries (a cluster's <c>weft status</c>); none when the CRD is not
    /// served.
    /// </summary>
    public static async Task<JsonArray> ReadAllAsync(k8s.IKubernetes client, string controllerName, CancellationToken ct)
    {
        var all = new JsonArray();
        IReadOnlyList<JsonObject> policies;
        try
        {
            policies = await KubeResource.AuthorizationPolicies.ListAllAsync(client, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (KubeErrors.IsNotServed(e))
        {
            return all;
        }

        foreach (var policy in policies.OrderBy(p => p["metadata"]?["namespace"].Text(), StringComparer.Ordinal).ThenBy(p => p["metadata"]?["name"].Text(), StringComparer.Ordinal))
        {
            var ours = new JsonArray([.. (policy["status"]?["ancestors"] as JsonArray ?? [])
                .Where(a => a?["controllerName"].Text() == controllerName).Select(a => a!.DeepClone())]);
            all.Add(new JsonObject
            {
                ["kind"] = AuthorizationPolicy.KindName,
                ["namespace"] = policy["metadata"]?["namespace"].Text(),
                ["name"] = policy["metadata"]?["name"].Text(),
                ["status"] = new JsonObject { ["ancestors"] = ours },
            });
        }

        return all;
    }

    /// <summary><see cref="ToArray"/> of <paramref name="model"/>'s policies, as UTF-8 (an empty array when it has none).</summary>
    public static byte[] ToUtf8Bytes(Weft.Routing.MeshModel model, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(model);
        return System.Text.Encoding.UTF8.GetBytes(ToArray(model.AuthorizationStatuses, model.ControllerName, now).ToJsonString());
    }

    /// <summary>
    /// The policy's status with <paramref name="controllerName"/>'s ancestor entries made <paramref name="desired"/>'s
    /// targets: an entry already there (same ancestorRef) is updated where it stands, keeping each condition's
    /// <c>lastTransitionTime</c> while its status is unchanged; one no longer wanted is dropped; a new one is appended.
    /// Other controllers' entries and the order are kept. Null when nothing of ours is there or wanted.
    /// </summary>
    public static JsonObject? StatusFor(JsonObject current, AuthorizationPolicyStatus? desired, string controllerName, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(current);
        var ns = desired?.Namespace ?? current["metadata"]?["namespace"].Text() ?? "";
        var wanted = (desired?.Targets ?? []).Select(t => (AncestorRef(t.TargetRef, ns), t.Conditions)).ToList();
        return PolicyAncestorsJson.Merge(current, wanted, controllerName, now, MaxAncestors);
    }

    /// <summary>
    /// The status of a policy the loader refused: for each targetRef as written (the ancestorRef <see cref="AncestorRef"/>
    /// would make of it), <c>Accepted=False</c>, reason <see cref="AuthorizationConditions.Invalid"/>, the loader's words,
    /// at the generation refused; merged as <see cref="StatusFor"/> merges.
    /// </summary>
    public static JsonObject? RefusedStatusFor(JsonObject current, KubeRefusal refusal, string controllerName, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(refusal);
        var ns = current["metadata"]?["namespace"].Text() ?? "";
        IReadOnlyList<RouteCondition> conditions =
            [new(AuthorizationConditions.Accepted, RouteConditions.False, AuthorizationConditions.Invalid, refusal.Message, refusal.Generation)];
        var wanted = new List<(JsonObject, IReadOnlyList<RouteCondition>)>();
        foreach (var target in (current["spec"]?["targetRefs"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if (target["kind"].Text() is not { } kind)
            {
                continue;
            }

            var json = new JsonObject { ["group"] = target["group"].Text() ?? "", ["kind"] = kind, ["namespace"] = ns };
            foreach (var field in new[] { "name", "sectionName", "selector" })
            {
                if (target[field] is { } value)
                {
                    json[field] = value.DeepClone();
                }
            }

            wanted.Add((json, conditions));
        }

        return PolicyAncestorsJson.Merge(current, wanted, controllerName, now, MaxAncestors);
    }

    private static JsonObject Selector(LabelSelector selector)
    {
        var json = new JsonObject();
        if (selector.MatchLabels.Count > 0)
        {
            json["matchLabels"] = new JsonObject(selector.MatchLabels.OrderBy(l => l.Key, StringComparer.Ordinal)
                .Select(l => KeyValuePair.Create(l.Key, (JsonNode?)l.Value)));
        }

        if (selector.MatchExpressions.Count > 0)
        {
            json["matchExpressions"] = new JsonArray([.. selector.MatchExpressions.Select(e =>
            {
                var requirement = new JsonObject { ["key"] = e.Key, ["operator"] = e.Operator };
                if (e.Values.Count > 0)
                {
                    requirement["values"] = new JsonArray([.. e.Values.Select(v => (JsonNode?)v)]);
                }

                return (JsonNode?)requirement;
            })]);
        }

        return json;
    }
}
