namespace Weft.ControlPlane.Kubernetes;

/// <summary>
/// The objects the loader refused, by resource and informer key, as of the store version <see cref="KubeSource"/>
/// published them with: a status written from them comes from a model at least that new.
/// </summary>
public sealed record KubeRefusals(IReadOnlyDictionary<(KubeResource Resource, string Key), KubeRefusal> ByKey, long StoreVersion)
{
    public static KubeRefusals None { get; } = new(new Dictionary<(KubeResource, string), KubeRefusal>(), 0);

    public KubeRefusal? Of(KubeResource resource, string key) => ByKey.GetValueOrDefault((resource, key));
}
