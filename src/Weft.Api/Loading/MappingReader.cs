using System.Globalization;
using Weft.Api.Model;
using YamlDotNet.RepresentationModel;

namespace Weft.Api.Loading;

/// <summary>
/// Reads the fields of one YAML mapping by hand (no reflection, so the library stays AOT-compatible),
/// recording the line of every field path it reads into <see cref="Lines"/>. A field of the wrong type
/// throws <see cref="FieldTypeException"/> with the API server's schema wording.
/// </summary>
internal sealed class MappingReader
{
    private readonly YamlMappingNode _node;

    public MappingReader(YamlMappingNode node, string path, Dictionary<string, int> lines)
    {
        _node = node;
        Path = path;
        Lines = lines;
    }

    public string Path { get; }
    public Dictionary<string, int> Lines { get; }
    public int Line => (int)_node.Start.Line;
    public YamlMappingNode Node => _node;

    public static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    public string? String(string key)
    {
        var node = Find(key);
        return node switch
        {
            null => null,
            YamlScalarNode scalar => scalar.Value ?? "",
            _ => throw TypeError(Join(Path, key), node, "string"),
        };
    }

    /// <summary>A string that must be there (it may be ""); <paramref name="hint"/> says what to write when it is not.</summary>
    public string RequiredString(string key, string? hint = null) =>
        String(key) ?? throw Required(Join(Path, key), hint ?? $"set {key}");

    /// <summary>An integer that must be there; <paramref name="hint"/> says what to write when it is not.</summary>
    public int RequiredInt(string key, string hint) =>
        Int(key) ?? throw Required(Join(Path, key), hint);

    public int? Int(string key)
    {
        var node = Find(key);
        if (node is null)
        {
            return null;
        }

        if (node is YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain } scalar
            && long.TryParse(scalar.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            return value is > int.MaxValue or < int.MinValue
                ? throw Error(Join(Path, key), node, $"Invalid value: {value}: {Join(Path, key)} is out of range", null)
                : (int)value;
        }

        throw TypeError(Join(Path, key), node, "integer");
    }

    public long? Long(string key)
    {
        var node = Find(key);
        if (node is null)
        {
            return null;
        }

        return node is YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain } scalar
            && long.TryParse(scalar.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw TypeError(Join(Path, key), node, "integer");
    }

    public bool? Bool(string key)
    {
        var node = Find(key);
        if (node is null)
        {
            return null;
        }

        if (node is YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain } scalar)
        {
            switch (scalar.Value)
            {
                case "true" or "True" or "TRUE": return true;
                case "false" or "False" or "FALSE": return false;
            }
        }

        throw TypeError(Join(Path, key), node, "boolean");
    }

    /// <summary>An int-or-string field (e.g. targetPort): a plain integer is a number, anything else text.</summary>
    public IntOrString? IntOrString(string key)
    {
        var node = Find(key);
        if (node is null)
        {
            return null;
        }

        if (node is not YamlScalarNode scalar)
        {
            throw TypeError(Join(Path, key), node, "integer or string");
        }

        return scalar.Style == YamlDotNet.Core.ScalarStyle.Plain
            && int.TryParse(scalar.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
            ? Model.IntOrString.Of(n)
            : Model.IntOrString.Of(scalar.Value ?? "");
    }

    public MappingReader? Map(string key)
    {
        var node = Find(key);
        return node switch
        {
            null => null,
            YamlMappingNode map => new MappingReader(map, Join(Path, key), Lines),
            _ => throw TypeError(Join(Path, key), node, "object"),
        };
    }

    public MappingReader RequiredMap(string key, string? hint = null) =>
        Map(key) ?? throw Required(Join(Path, key), hint ?? $"add {key}");

    /// <summary>A list of objects; each item's line is recorded under <c>path[i]</c>.</summary>
    public IReadOnlyList<T> List<T>(string key, Func<MappingReader, T> read) => ListOrNull(key, read) ?? [];

    /// <summary>Like <see cref="List{T}"/>, but null when the key is absent (so defaults can tell "absent" from "empty").</summary>
    public IReadOnlyList<T>? ListOrNull<T>(string key, Func<MappingReader, T> read)
    {
        var sequence = Sequence(key);
        if (sequence is null)
        {
            return null;
        }

        var path = Join(Path, key);
        var items = new List<T>(sequence.Children.Count);
        for (var i = 0; i < sequence.Children.Count; i++)
        {
            var itemPath = $"{path}[{i}]";
            var child = sequence.Children[i];
            Lines[itemPath] = (int)child.Start.Line;
            items.Add(child is YamlMappingNode map
                ? read(new MappingReader(map, itemPath, Lines))
                : throw TypeError(itemPath, child, "object"));
        }

        return items;
    }

    public IReadOnlyList<string> StringList(string key) => ScalarList(key, "string", (s, _) => s.Value ?? "");

    public IReadOnlyList<int> IntList(string key) => ScalarList(key, "integer", (s, itemPath) =>
        s.Style == YamlDotNet.Core.ScalarStyle.Plain && int.TryParse(s.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw TypeError(itemPath, s, "integer"));

    /// <summary>A map of string to string, such as labels; a non-string value is a schema error, as in the API server.</summary>
    public IReadOnlyDictionary<string, string> StringMap(string key) => StringMapOrNull(key) ?? new Dictionary<string, string>();

    public IReadOnlyDictionary<string, string>? StringMapOrNull(string key)
    {
        var node = Find(key);
        if (node is null)
        {
            return null;
        }

        var path = Join(Path, key);
        if (node is not YamlMappingNode map)
        {
            throw TypeError(path, node, "object");
        }

        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in map.Children)
        {
            // A key that is itself a list or an object (YAML allows it) is no string: kubectl's decoder refuses it.
            var name = k is YamlScalarNode scalarKey ? scalarKey.Value ?? "" : throw TypeError($"{path} key", k, "string");
            var valuePath = $"{path}.{name}";
            Lines[valuePath] = (int)k.Start.Line;
            result[name] = v switch
            {
                YamlScalarNode scalar when !IsNull(scalar) => scalar.Value ?? "",
                YamlScalarNode => "",
                _ => throw TypeError(valuePath, v, "string"),
            };
        }

        return result;
    }

    public FieldTypeException Required(string fieldPath, string hint) =>
        Error(fieldPath, _node, "Required value", hint);

    private List<T> ScalarList<T>(string key, string type, Func<YamlScalarNode, string, T> read)
    {
        var sequence = Sequence(key);
        if (sequence is null)
        {
            return [];
        }

        var path = Join(Path, key);
        var items = new List<T>(sequence.Children.Count);
        for (var i = 0; i < sequence.Children.Count; i++)
        {
            var itemPath = $"{path}[{i}]";
            var child = sequence.Children[i];
            Lines[itemPath] = (int)child.Start.Line;
            items.Add(child is YamlScalarNode scalar ? read(scalar, itemPath) : throw TypeError(itemPath, child, type));
        }

        return items;
    }

    private YamlSequenceNode? Sequence(string key)
    {
        var node = Find(key);
        return node switch
        {
            null => null,
            YamlSequenceNode sequence => sequence,
            _ => throw TypeError(Join(Path, key), node, "array"),
        };
    }

    private YamlNode? Find(string key, bool record = true)
    {
        foreach (var (k, v) in _node.Children)
        {
            if (k is YamlScalarNode { Value: var name } && name == key)
            {
                if (record)
                {
                    Lines[Join(Path, key)] = (int)k.Start.Line;
                }

                return v is YamlScalarNode scalar && IsNull(scalar) ? null : v;
            }
        }

        return null;
    }

    /// <summary>YAML null (<c>~</c>, <c>null</c>, or nothing): Kubernetes treats it as an unset field.</summary>
    internal static bool IsNull(YamlScalarNode scalar) =>
        scalar.Style == YamlDotNet.Core.ScalarStyle.Plain && scalar.Value is null or "" or "~" or "null" or "Null" or "NULL";

    private static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "object",
        YamlSequenceNode => "array",
        YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain, Value: var v } when long.TryParse(v, CultureInfo.InvariantCulture, out _) => "integer",
        YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain, Value: "true" or "false" } => "boolean",
        _ => "string",
    };

    private static FieldTypeException TypeError(string path, YamlNode node, string expected)
    {
        var actual = Describe(node);
        var article = "aeiou".Contains(expected[0], StringComparison.Ordinal) ? "an" : "a";
        var quotes = expected is "integer" or "boolean" ? " without quotes" : "";
        return Error(path, node, $"Invalid value: \"{actual}\": {path} in body must be of type {expected}: \"{actual}\"",
            $"write {path} as {article} {expected}{quotes}");
    }

    private static FieldTypeException Error(string path, YamlNode node, string message, string? hint) =>
        new(path, (int)node.Start.Line, (int)node.Start.Column, message, hint);
}
