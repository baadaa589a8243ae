namespace Weft.Api.Loading;

/// <summary>A field has the wrong shape (string where an integer belongs, list where a map belongs, a required field absent): the object cannot be mapped.</summary>
internal sealed class FieldTypeException(string fieldPath, int line, int column, string message, string? hint) : Exception(message)
{
    public string FieldPath { get; } = fieldPath;
    public int Line { get; } = line;
    public int Column { get; } = column;
    public string? Hint { get; } = hint;
}
