namespace Weft.ControlPlane.Kubernetes;

/// <summary>
/// Which objects of a resource a list or watch asks for: every namespace's (the default), or one namespace's narrowed by
/// a <c>fieldSelector</c>, as client-go's single-object informers ask for one object (<c>metadata.name=NAME</c>).
/// </summary>
public sealed record KubeListScope(string? Namespace, string? FieldSelector)
{
    /// <summary>Every object, across all namespaces.</summary>
    public static KubeListScope All { get; } = new(null, null);

    /// <summary>The one object <paramref name="ns"/>/<paramref name="name"/>: its namespace's list, <c>fieldSelector=metadata.name=NAME</c>.</summary>
    public static KubeListScope Object(string ns, string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(ns);
        ArgumentException.ThrowIfNullOrEmpty(name);
        return new(ns, $"metadata.name={name}");
    }

    /// <summary>The resource as logs name this scope of it: <c>configmaps</c>, or <c>configmaps shop (metadata.name=ca)</c>.</summary>
    public string Describe(KubeResource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        return Namespace is null && FieldSelector is null ? resource.QualifiedName
            : $"{resource.QualifiedName} {Namespace ?? "(all namespaces)"}{(FieldSelector is null ? "" : $" ({FieldSelector})")}";
    }
}
