namespace Weft.Api.Validation;

/// <summary>One violation: the field path, kubectl's text after the path, and how to fix it.</summary>
internal readonly record struct FieldError(string Path, string Message, string? Hint);
