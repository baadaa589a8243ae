using System.Text.RegularExpressions;

namespace Weft.KubeApi.StandIn.Internal;

/// <summary>The Kubernetes API version priority (v1 &gt; v1beta2 &gt; v1beta1 &gt; v1alpha1 &gt; anything else), as discovery orders versions.</summary>
internal static partial class KubeVersionOrder
{
    [GeneratedRegex("^v([0-9]+)(?:(alpha|beta)([0-9]+))?$")]
    private static partial Regex Pattern();

    public static IReadOnlyList<string> Sort(IEnumerable<string> versions) =>
        [.. versions.Distinct().OrderByDescending(Rank).ThenBy(v => v, StringComparer.Ordinal)];

    private static (int Stability, int Major, int Minor) Rank(string version)
    {
        var match = Pattern().Match(version);
        if (!match.Success)
        {
            return (0, 0, 0);
        }

        var major = int.Parse(match.Groups[1].Value);
        return match.Groups[2].Value switch
        {
            "beta" => (2, major, int.Parse(match.Groups[3].Value)),
            "alpha" => (1, major, int.Parse(match.Groups[3].Value)),
            _ => (3, major, 0),
        };
    }
}
