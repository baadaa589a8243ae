namespace Weft.Api;

/// <summary>What went wrong with a manifest.</summary>
public enum ProblemKind
{
    /// <summary>The file is not well-formed YAML or JSON.</summary>
    Syntax,

    /// <summary>An object breaks the schema or a CRD validation rule; the object is not loaded.</summary>
    Invalid,

    /// <summary>A path does not exist or cannot be read.</summary>
    Unreadable,
}
