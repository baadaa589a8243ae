namespace Weft.Api;

/// <summary>
/// An object of a kind a cluster serves but Weft does not read (a Secret, a Gateway, another group's kind); like kubectl, not
/// an error. A kind or version the API does not serve is a problem instead (<c>no matches for kind</c>).
/// </summary>
public sealed record SkippedObject(string Kind, string ApiVersion, string? Name, string File, int Line)
{
    public override string ToString() => $"{File}:{Line}: skipped {Kind} ({ApiVersion}) {Name}";
}
