namespace Weft.Api.Model;

/// <summary>Where an object came from: the file, the line of its first key, and the line of each field path.</summary>
public sealed record ObjectSource(string File, int Line, IReadOnlyDictionary<string, int> FieldLines)
{
    public static readonly ObjectSource None = new("", 0, new Dictionary<string, int>());

    /// <summary>
    /// A digest of the object's fields but <c>metadata</c> and <c>status</c> as written (empty when not loaded from a
    /// manifest): a reload whose digest differs is an update of the spec, which moves <c>metadata.generation</c>.
    /// </summary>
    public string SpecDigest { get; init; } = "";

    /// <summary>The line of a field path such as <c>spec.rules[0].matches</c>, or of its nearest ancestor.</summary>
    public int LineOf(string fieldPath)
    {
        var path = fieldPath;
        while (path.Length > 0)
        {
            if (FieldLines.TryGetValue(path, out var line))
            {
                return line;
            }

            var cut = Math.Max(path.LastIndexOf('.'), path.LastIndexOf('['));
            path = cut <= 0 ? "" : path[..cut];
        }

        return Line;
    }
}

public sealed record ObjectMeta
{
    public required string Name { get; init; }

    /// <summary>Null for cluster-scoped objects; namespaced objects without one get "default" at load time.</summary>
    public string? Namespace { get; init; }

    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    public IReadOnlyDictionary<string, string> Annotations { get; init; } = new Dictionary<string, string>();
    public long Generation { get; init; } = 1;
    public DateTimeOffset? CreationTimestamp { get; init; }

    /// <summary>Set by the API server on a graceful delete: the object is terminating (a Pod until its kubelet has stopped it).</summary>
    public DateTimeOffset? DeletionTimestamp { get; init; }

    /// <summary>
    /// Set with <see cref="DeletionTimestamp"/>: the grace period the delete gave (<c>kubectl delete --grace-period</c>,
    /// else the Pod's <c>terminationGracePeriodSeconds</c>), which its kubelet honours in place of the spec's.
    /// </summary>
    public long? DeletionGracePeriodSeconds { get; init; }
    public string? Uid { get; init; }

    /// <summary>The objects that own this one (a pod's ReplicaSet, StatefulSet, Job...), as the API server lists them.</summary>
    public IReadOnlyList<OwnerReference> OwnerReferences { get; init; } = [];
}

/// <summary>One of <see cref="ObjectMeta.OwnerReferences"/>: its kind and name, and whether it is the managing controller.</summary>
public sealed record OwnerReference(string Kind, string Name, bool Controller);

/// <summary>A Kubernetes object as Weft reads it.</summary>
public abstract record KubeObject
{
    public required string ApiVersion { get; init; }
    public abstract string Kind { get; }
    public required ObjectMeta Metadata
    {
        get;
        init
        {
            field = value;
            Key = value is null ? "" : value.Namespace is null ? value.Name : $"{value.Namespace}/{value.Name}";
        }
    }

    public ObjectSource Source { get; init; } = ObjectSource.None;

    public string Name => Metadata.Name;
    public string Namespace => Metadata.Namespace ?? "";

    /// <summary>
    /// "namespace/name", or "name" for cluster-scoped objects: made once, with <see cref="Metadata"/> (a <c>with</c> that
    /// sets it makes it again), since the model and its indexes ask for it many times per object.
    /// </summary>
    public string Key { get; private init; } = "";
}
