namespace Weft.Api;

/// <summary>An object whose kind (or kind and apiVersion) Weft does not read; like kubectl, it is not an error.</summary>
public sealed record SkippedObject(string Kind, string ApiVersion, string? Name, string File, int Line)
{
    public override string ToString() => $"{File}:{Line}: skipped {Kind} ({ApiVersion}) {Name}";
}
