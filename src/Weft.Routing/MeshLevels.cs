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

    /// <summary>The annotation or label that sets a workload's inbound mTLS mode: <c>strict</c> or <c>permissive</c>.</summary>
    public const string MtlsKey = "weft.dev/mtls";

    /// <summary><see cref="MtlsKey"/>'s values: only mTLS from sidecars (the default), or plaintext too.</summary>
    public const string MtlsStrict = "strict";
    public const string MtlsPermissive = "permissive";

    /// <summary>
    /// The level a pod asks for, from the first of <paramref name="sources"/> that names a valid one (in Weft's order:
    /// its template's annotations, its template's labels, its namespace's annotations, its namespace's labels), any
    /// spelling; null when none does (the caller's default applies). An unknown value is skipped, not taken for l7.
    /// </summary>
    public static string? Requested(IEnumerable<IReadOnlyDictionary<string, string>?> sources) =>
        First(Key, sources, Parse)?.Value;

    /// <summary>
    /// <see cref="Requested"/>, with the index in <paramref name="sources"/> of the one it was read from, for saying where
    /// a level was set; null when none names a valid one (then <see cref="DefaultSource"/>).
    /// </summary>
    public static (string Level, int Source)? RequestedFrom(IEnumerable<IReadOnlyDictionary<string, string>?> sources) =>
        First(Key, sources, Parse);

    /// <summary>Where a level or mTLS mode comes from when neither a pod nor its namespace sets one, in words.</summary>
    public const string DefaultSource = "the mesh default";

    /// <summary>The mTLS mode a pod asks for (<see cref="MtlsKey"/>), as <see cref="Requested"/> finds a level: <c>strict</c>, <c>permissive</c> or null.</summary>
    public static string? RequestedMtls(IEnumerable<IReadOnlyDictionary<string, string>?> sources) =>
        First(MtlsKey, sources, ParseMtls)?.Value;

    /// <summary>The levels, in their canonical spelling.</summary>
    public static IReadOnlyList<string> All { get; } = [Off, L4, L7];

    /// <summary>The mTLS modes, in their canonical spelling.</summary>
    public static IReadOnlyList<string> AllMtls { get; } = [MtlsStrict, MtlsPermissive];

    /// <summary>A level in its canonical spelling, from any; null when it is not one of <see cref="All"/>.</summary>
    public static string? Parse(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        Off => Off,
        L4 => L4,
        L7 => L7,
        _ => null,
    };

    /// <summary>An mTLS mode in its canonical spelling, from any; null when it is not one of <see cref="AllMtls"/>.</summary>
    public static string? ParseMtls(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        MtlsStrict => MtlsStrict,
        MtlsPermissive => MtlsPermissive,
        _ => null,
    };

    private static (string Value, int Source)? First(string key, IEnumerable<IReadOnlyDictionary<string, string>?> sources, Func<string?, string?> parse)
    {
        ArgumentNullException.ThrowIfNull(sources);
        var index = 0;
        foreach (var map in sources)
        {
            if (map is not null && map.TryGetValue(key, out var value) && parse(value) is { } parsed)
            {
                return (parsed, index);
            }

            index++;
        }

        return null;
    }

    /// <summary>"off", "l4" or "l7" from any spelling; null, empty or unknown is the default, l7.</summary>
    public static string Normalize(string? level) => Parse(level) ?? L7;

    /// <summary>
    /// The level a pod object records (annotation, then label, as <see cref="Requested"/> reads them: an unknown value
    /// is skipped); l7 when it says nothing valid.
    /// </summary>
    public static string Of(Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        return Requested([pod.Metadata.Annotations, pod.Metadata.Labels]) ?? L7;
    }
}
