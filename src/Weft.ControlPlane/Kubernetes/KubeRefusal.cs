namespace Weft.ControlPlane.Kubernetes;

/// <summary>
/// An object the loader refused (<see cref="KubeSource"/>): the <c>metadata.generation</c> it had when read, and the
/// loader's own words for why, which its status carries instead of the model's (the model never saw it).
/// </summary>
public sealed record KubeRefusal(long Generation, string Message);
