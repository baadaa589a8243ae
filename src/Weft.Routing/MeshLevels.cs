using Weft.Api.Model;

namespace Weft.Routing;

/// <summary>
/// DESIGN decision 6, opt-in levels: <c>off</c> (no sidecar), <c>l4</c> (mTLS, TCP metrics, L4 routes only) and <c>l7</c>
/// (everything, the default). The local cluster (and, in a cluster, the injector) records a pod's resolved level in its
/// <c>weft.dev/mesh</c> annotation.
/// </summary>
public static class MeshLevels
{
    public const string Key = "weft.dev/mesh";
    public const string Off = "off";
    public const string L4 = "l4";
    public const string L7 = "l7";

    /// <summary>"off", "l4" or "l7" from any spelling; null, empty or unknown is the default, l7.</summary>
    public static string Normalize(string? level) => level?.Trim().ToLowerInvariant() switch
    {
        Off => Off,
        L4 => L4,
        _ => L7,
    };

    /// <summary>The level a pod object records (annotation, then label), normalized; l7 when it says nothing.</summary>
    public static string Of(Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        return Normalize(pod.Metadata.Annotations.TryGetValue(Key, out var a) ? a : pod.Metadata.Labels.GetValueOrDefault(Key));
    }
}
