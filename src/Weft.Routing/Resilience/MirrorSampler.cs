using Weft.Routing.Policy;

namespace Weft.Routing.Resilience;

/// <summary>Whether this request is mirrored (gamma-spec G8: <c>percent</c> or <c>fraction</c>, compiled to a share).</summary>
public static class MirrorSampler
{
    /// <param name="mirror">The RequestMirror filter.</param>
    /// <param name="random01">A uniform random number in [0, 1).</param>
    public static bool ShouldMirror(MirrorPolicy mirror, double random01)
    {
        ArgumentNullException.ThrowIfNull(mirror);
        return mirror.Share >= 1 || (mirror.Share > 0 && random01 < mirror.Share);
    }
}
