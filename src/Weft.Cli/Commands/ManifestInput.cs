using Weft.Api;
using Weft.Api.Model;

namespace Weft.Cli.Commands;

/// <summary>
/// Reads manifests for the offline verbs (<c>validate</c>, <c>explain</c>) as <c>kubectl apply -f</c> would:
/// problems are printed, and an object defined twice is applied twice, so the later definition wins. A directory's files
/// that are not manifests (<c>weft-images.yaml</c>, <c>weft-hosts.yaml</c>) are skipped, as <c>weft up</c> skips them.
/// </summary>
internal sealed record ManifestInput(IReadOnlyList<KubeObject> Objects, IReadOnlyList<ManifestProblem> Problems, bool Unreadable)
{
    public static ManifestInput Load(IEnumerable<string> paths, TextWriter stderr)
    {
        var loaded = ManifestLoader.LoadPaths(paths, Local.ImageMap.NotManifests);
        foreach (var problem in loaded.Problems)
        {
            stderr.WriteLine($"error: {problem.ToDisplayString()}");
        }

        var byKey = new Dictionary<string, KubeObject>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var o in loaded.Objects)
        {
            var key = $"{o.Kind}/{o.Key}";
            if (byKey.TryGetValue(key, out var earlier))
            {
                stderr.WriteLine($"warning: {o.Kind} {o.Key} is defined in {earlier.Source.File}:{earlier.Source.Line} and again in {o.Source.File}:{o.Source.Line}; the later one is used, as kubectl apply would");
            }
            else
            {
                order.Add(key);
            }

            byKey[key] = o;
        }

        return new ManifestInput(
            [.. order.Select(k => byKey[k])],
            loaded.Problems,
            loaded.HasUnreadable || loaded.HasSyntaxErrors);
    }
}
