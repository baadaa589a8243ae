namespace Weft.Api;

/// <summary>
/// One problem found while loading manifests. <see cref="Message"/> is the part kubectl prints after the
/// field path (e.g. <c>Invalid value: "object": Must have port for Service reference</c>);
/// <see cref="Hint"/>, when set, says how to fix it.
/// </summary>
public sealed record ManifestProblem(
    ProblemKind Kind,
    string File,
    int Line,
    int? Column,
    string? ObjectKind,
    string? ObjectNamespace,
    string? ObjectName,
    string? FieldPath,
    string Message)
{
    /// <summary>How to fix the problem, in a few words; null when the message already says it.</summary>
    public string? Hint { get; init; }

    /// <summary>The object as kubectl names it: "Kind namespace/name", "Kind name", or null when unknown.</summary>
    public string? ObjectDisplayName => ObjectKind is null
        ? null
        : ObjectName is null
            ? ObjectKind
            : ObjectNamespace is null ? $"{ObjectKind} {ObjectName}" : $"{ObjectKind} {ObjectNamespace}/{ObjectName}";

    /// <summary>
    /// What kubectl prints after "is invalid:": the field path and <see cref="Message"/>, e.g.
    /// <c>spec.rules[0].backendRefs[0]: Invalid value: "object": Must have port for Service reference</c>.
    /// </summary>
    public string Detail => FieldPath is null ? Message : $"{FieldPath}: {Message}";

    /// <summary>
    /// Formatted like kubectl, e.g.
    /// <c>routes.yaml:12: HTTPRoute ns/bad is invalid: spec.rules[0].backendRefs[0]: Invalid value: "object": Must have port for Service reference</c>.
    /// </summary>
    public override string ToString()
    {
        var where = Column is { } column ? $"{File}:{Line}:{column}" : $"{File}:{Line}";
        return Kind switch
        {
            ProblemKind.Syntax => $"{where}: syntax error: {Message}",
            ProblemKind.Unreadable => $"{File}: cannot read: {Message}",
            _ => ObjectDisplayName is { } name ? $"{where}: {name} is invalid: {Detail}" : $"{where}: invalid object: {Detail}",
        };
    }

    /// <summary><see cref="ToString"/> followed by the hint, for people reading a terminal.</summary>
    public string ToDisplayString() => Hint is null ? ToString() : $"{this}\n  hint: {Hint}";
}
