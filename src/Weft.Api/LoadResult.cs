using Weft.Api.Model;

namespace Weft.Api;

/// <summary>What <see cref="ManifestLoader"/> read: the valid objects, the problems, and the objects of kinds Weft does not read.</summary>
public sealed record LoadResult(
    IReadOnlyList<KubeObject> Objects,
    IReadOnlyList<ManifestProblem> Problems,
    IReadOnlyList<SkippedObject> Skipped)
{
    public static readonly LoadResult Empty = new([], [], []);

    public bool HasProblems => Problems.Count > 0;
    public bool HasUnreadable => Problems.Any(p => p.Kind == ProblemKind.Unreadable);
    public bool HasSyntaxErrors => Problems.Any(p => p.Kind == ProblemKind.Syntax);
    public bool HasInvalid => Problems.Any(p => p.Kind == ProblemKind.Invalid);

    /// <summary>The loaded objects of one type, in load order.</summary>
    public IEnumerable<T> OfKind<T>() where T : KubeObject => Objects.OfType<T>();
}
