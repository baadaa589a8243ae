namespace Weft.KubeApi.StandIn.Internal;

/// <summary>One served resource (a built-in or a CRD's): its names, scope, versions and subresources.</summary>
internal sealed record ResourceType
{
    public required string Group { get; init; }

    public required string Plural { get; init; }

    public required string Singular { get; init; }

    public required string Kind { get; init; }

    public string ListKind => Kind + "List";

    public required bool Namespaced { get; init; }

    public IReadOnlyList<string> ShortNames { get; init; } = [];

    public IReadOnlyList<string> Categories { get; init; } = [];

    /// <summary>The served versions, highest priority first (Kubernetes version order: GA, beta, alpha).</summary>
    public required IReadOnlyList<string> Versions { get; init; }

    /// <summary>The versions that have a <c>status</c> subresource.</summary>
    public IReadOnlySet<string> StatusVersions { get; init; } = new HashSet<string>();

    public required string StorageVersion { get; init; }

    public bool IsCustom { get; init; }

    /// <summary>Whether <c>metadata.generation</c> is kept (CRDs always; built-ins with a status subresource).</summary>
    public bool TracksGeneration => IsCustom || StatusVersions.Count > 0;

    /// <summary>Answers DELETE with the deleted object rather than a <c>Status</c> (pods, services, service accounts, custom resources).</summary>
    public bool DeleteReturnsObject { get; init; }

    /// <summary>A create-only resource that is never stored (tokenreviews, subjectaccessreviews).</summary>
    public bool CreateOnly { get; init; }

    public IReadOnlyList<string> Verbs => CreateOnly
        ? ["create"]
        : ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

    /// <summary>Where the objects are kept: one collection whatever version they are read at.</summary>
    public string StorageKey => Group + "/" + Plural;

    /// <summary><c>plural.group</c>, or <c>plural</c> in the core group, as error messages name it.</summary>
    public string GroupResource => Group.Length == 0 ? Plural : Plural + "." + Group;

    public string ApiVersion(string version) => Group.Length == 0 ? version : Group + "/" + version;

    public bool HasStatus(string version) => StatusVersions.Contains(version);
}
