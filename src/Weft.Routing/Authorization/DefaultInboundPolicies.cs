using Weft.Api.Model;

namespace Weft.Routing.Authorization;

/// <summary>
/// The default inbound policy (Linkerd's <c>default-inbound-policy</c>): what a workload admits when no ALLOW
/// AuthorizationPolicy applies to a request. Set per mesh (<c>weft up</c> / controller setting), per namespace or per pod
/// template with the <see cref="Key"/> annotation (or label).
/// </summary>
public static class DefaultInboundPolicies
{
    public const string Key = "weft.dev/default-inbound-policy";

    /// <summary>Every caller, with or without a mesh identity (plaintext where mTLS is permissive): the mesh default.</summary>
    public const string AllUnauthenticated = "all-unauthenticated";

    /// <summary>Callers with a verified mesh identity (any namespace).</summary>
    public const string AllAuthenticated = "all-authenticated";

    /// <summary>Callers with a verified mesh identity in the workload's namespace.</summary>
    public const string SameNamespace = "same-namespace";

    /// <summary>Nobody.</summary>
    public const string Deny = "deny";

    public static IReadOnlyList<string> All { get; } = [AllUnauthenticated, AllAuthenticated, SameNamespace, Deny];

    /// <summary>The value in its canonical spelling, or null when it is not one of <see cref="All"/>.</summary>
    public static string? Parse(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        AllUnauthenticated => AllUnauthenticated,
        AllAuthenticated => AllAuthenticated,
        SameNamespace => SameNamespace,
        Deny => Deny,
        _ => null,
    };

    /// <summary>Who <paramref name="value"/> (canonical) lets call a workload of namespace <paramref name="ns"/>, in words.</summary>
    public static string Describe(string value, string ns) => value switch
    {
        AllUnauthenticated => "anyone may call, with or without a mesh identity",
        AllAuthenticated => "any caller with a mesh identity",
        SameNamespace => $"callers with a mesh identity in namespace {ns}",
        _ => "nobody, unless an ALLOW policy lets them in",
    };

    /// <summary>
    /// A pod's default inbound policy: the first valid <see cref="Key"/> among its annotations, its labels, its namespace's
    /// annotations and its namespace's labels (as <see cref="MeshLevels.Requested"/> reads a level; an unknown value is
    /// skipped), else <paramref name="meshDefault"/>.
    /// </summary>
    public static string Resolve(Pod pod, Namespace? ns, string meshDefault)
    {
        ArgumentNullException.ThrowIfNull(pod);
        return PodSettings.Find(Key, pod, ns, Parse)?.Value ?? Parse(meshDefault) ?? AllUnauthenticated;
    }
}
