using Weft.Api.Model;
using Weft.Routing.Policy;

namespace Weft.Routing;

/// <summary>
/// The outbound policy (issue 17, after Istio's <c>outboundTrafficPolicy</c>): what a client's sidecar does with traffic
/// to a destination that is not in the mesh, neither a Service (ClusterIP, name, or an endpoint's pod IP) nor anything
/// the control plane compiles a policy for. Set per mesh (<c>--default-outbound-policy</c> of <c>weft up</c>, the
/// controller and the control plane), per namespace or per pod template with the <see cref="Key"/> annotation (or label).
/// </summary>
public static class OutboundPolicies
{
    public const string Key = "weft.dev/outbound-policy";

    /// <summary>Such traffic goes where the app sent it, as plain TCP or HTTP without anything of the mesh: the mesh default.</summary>
    public const string AllowAny = "allow-any";

    /// <summary>Such traffic is refused at the client's sidecar: only the mesh's registry may be reached.</summary>
    public const string RegistryOnly = "registry-only";

    public static IReadOnlyList<string> All { get; } = [AllowAny, RegistryOnly];

    /// <summary>The value in its canonical spelling, or null when it is not one of <see cref="All"/>.</summary>
    public static string? Parse(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        AllowAny => AllowAny,
        RegistryOnly => RegistryOnly,
        _ => null,
    };

    /// <summary>
    /// A client's outbound policy, with where it came from: its namespace's (the first valid <see cref="Key"/> among its
    /// annotations, then its labels), else <paramref name="meshDefault"/>; its pod's (annotations, then labels) only
    /// when that is registry-only. A pod may tighten its namespace's policy, never widen it: whoever may annotate a pod
    /// (its owner, or an app allowed to patch itself) must not undo what the namespace's administrator set.
    /// </summary>
    /// <param name="pod">The client pod, or null when the model does not know it (its namespace and the mesh decide).</param>
    /// <param name="ns">The client's namespace object, if there is one.</param>
    /// <param name="meshDefault">The mesh's default (canonical).</param>
    public static OutsidePolicy Resolve(Pod? pod, Namespace? ns, string meshDefault)
    {
        // A pod's registry-only wherever the pod says it: its annotation allow-any (which cannot widen) must not hide its label.
        if (PodSettings.Find(Key, pod, null, value => Parse(value) == RegistryOnly ? RegistryOnly : null) is (RegistryOnly, var tightened))
        {
            return new OutsidePolicy { Mode = RegistryOnly, Source = tightened };
        }

        if (PodSettings.Find(Key, null, ns, Parse) is var (mode, source))
        {
            return new OutsidePolicy { Mode = mode, Source = source };
        }

        return new OutsidePolicy { Mode = Parse(meshDefault) ?? AllowAny, Source = "the mesh default (--default-outbound-policy)" };
    }
}
