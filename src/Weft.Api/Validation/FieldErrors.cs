using System.Globalization;
using System.Text.RegularExpressions;

namespace Weft.Api.Validation;

/// <summary>Collects violations, worded as the API server words schema and CEL errors.</summary>
internal sealed class FieldErrors
{
    private readonly List<FieldError> _errors = [];

    public IReadOnlyList<FieldError> Errors => _errors;

    public static string Quote(string value) =>
        "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal) + "\"";

    public void Add(string path, string message, string? hint = null) => _errors.Add(new FieldError(path, message, hint));

    /// <summary>A CEL rule on an object failed: kubectl shows <c>Invalid value: "object": message</c>.</summary>
    public void Rule(string path, string message, string? hint = null, string value = "object") =>
        Add(path, $"Invalid value: {Quote(value)}: {message}", hint);

    public void Invalid(string path, string value, string detail, string? hint = null) =>
        Add(path, $"Invalid value: {Quote(value)}: {detail}", hint);

    public void Required(string path, string? detail, string hint) =>
        Add(path, detail is null ? "Required value" : $"Required value: {detail}", hint);

    public void Duplicate(string path, string shown, string hint) => Add(path, $"Duplicate value: {shown}", hint);

    public void Unsupported(string path, string value, IReadOnlyList<string> supported) =>
        Add(path, $"Unsupported value: {Quote(value)}: supported values: {string.Join(", ", supported.Select(Quote))}",
            $"use one of {string.Join(", ", supported)}");

    public void Unsupported(string path, int value, IReadOnlyList<int> supported) =>
        Add(path, $"Unsupported value: {value}: supported values: {string.Join(", ", supported.Select(s => s.ToString(CultureInfo.InvariantCulture)))}",
            $"use one of {string.Join(", ", supported)}");

    public void MaxItems<T>(string path, IReadOnlyList<T> items, int max)
    {
        if (items.Count > max)
        {
            Add(path, $"Too many: {items.Count}: must have at most {max} items", $"remove entries so that at most {max} remain");
        }
    }

    public void MinItems<T>(string path, IReadOnlyList<T> items, int min)
    {
        if (items.Count < min)
        {
            Add(path, $"Invalid value: {items.Count}: {path} in body should have at least {min} items", $"add at least {min} entr{(min == 1 ? "y" : "ies")}");
        }
    }

    public void Range(string path, long? value, long min, long max)
    {
        if (value is not { } v)
        {
            return;
        }

        if (v < min)
        {
            Add(path, $"Invalid value: {v}: {path} in body should be greater than or equal to {min}", $"use a value from {min} to {max}");
        }
        else if (v > max)
        {
            Add(path, $"Invalid value: {v}: {path} in body should be less than or equal to {max}", $"use a value from {min} to {max}");
        }
    }

    public void Minimum(string path, long? value, long min)
    {
        if (value is { } v && v < min)
        {
            Add(path, $"Invalid value: {v}: {path} in body should be greater than or equal to {min}", $"use a value of at least {min}");
        }
    }

    /// <summary>minLength/maxLength/pattern of a CRD string field. Returns false when it added an error.</summary>
    public bool String(string path, string? value, int minLength, int maxLength, Pattern? pattern = null)
    {
        if (value is null)
        {
            return true;
        }

        if (value.Length < minLength)
        {
            Add(path, $"Invalid value: {Quote(value)}: {path} in body should be at least {minLength} chars long",
                minLength == 1 ? "remove the field or give it a value" : $"use at least {minLength} characters");
            return false;
        }

        if (value.Length > maxLength)
        {
            Add(path, $"Too long: may not be more than {maxLength} bytes", $"shorten it to at most {maxLength} characters");
            return false;
        }

        if (pattern is not null && !pattern.IsMatch(value))
        {
            Add(path, $"Invalid value: {Quote(value)}: {path} in body should match '{pattern.Text}'", pattern.Hint);
            return false;
        }

        return true;
    }

    public void Enum(string path, string? value, IReadOnlyList<string> allowed)
    {
        if (value is not null && !allowed.Contains(value, StringComparer.Ordinal))
        {
            Unsupported(path, value, allowed);
        }
    }
}

/// <summary>A CRD pattern: the regex as the CRD writes it (shown in messages) and a plain-words hint.</summary>
internal sealed class Pattern(Regex regex, string text, string hint)
{
    public string Text { get; } = text;
    public string Hint { get; } = hint;

    // Go's RE2 '$' is end of text; .NET's also matches before a final newline, so reject newlines outright.
    public bool IsMatch(string value) => !value.Contains('\n', StringComparison.Ordinal) && regex.IsMatch(value);
}
