using YamlDotNet.RepresentationModel;

namespace Weft.Api.Loading;

/// <summary>
/// The field names an object (and each object below it) may have, for the strict field validation
/// <c>kubectl apply</c> asks of the API server by default (<c>--validate=strict</c>). A field with no
/// sub-fields listed is not looked into: a scalar, a free-form map such as labels, or a part of a core
/// object Weft reads only a subset of. A list of objects shares one schema for all its items.
/// </summary>
internal sealed class FieldSchema
{
    /// <summary>Any value; nothing below it is checked.</summary>
    public static readonly FieldSchema Open = new(new Dictionary<string, FieldSchema>(StringComparer.Ordinal));

    private readonly Dictionary<string, FieldSchema> _fields;

    // Fields the schema leaves out on purpose, with why: their unknown-field error says so instead of guessing a typo.
    private readonly Dictionary<string, string> _absent;

    private FieldSchema(Dictionary<string, FieldSchema> fields, Dictionary<string, string>? absent = null)
    {
        _fields = fields;
        _absent = absent ?? new Dictionary<string, string>(StringComparer.Ordinal);
    }

    /// <summary>True when the field names here are checked.</summary>
    public bool IsStrict => _fields.Count > 0;

    public IEnumerable<string> FieldNames => _fields.Keys;

    /// <summary>An object with these fields, none of which is looked into.</summary>
    public static FieldSchema Of(params string[] fields) => Open.With(fields);

    /// <summary>This schema plus fields that are not looked into.</summary>
    public FieldSchema With(params string[] fields)
    {
        var copy = new Dictionary<string, FieldSchema>(_fields, StringComparer.Ordinal);
        foreach (var field in fields)
        {
            copy[field] = Open;
        }

        return new FieldSchema(copy, _absent);
    }

    /// <summary>This schema plus a field that holds an object (or a list of objects) of the given schema.</summary>
    public FieldSchema With(string field, FieldSchema schema) =>
        new(new Dictionary<string, FieldSchema>(_fields, StringComparer.Ordinal) { [field] = schema }, _absent);

    /// <summary>This schema, saying of <paramref name="field"/> (which it does not have) how to do without it.</summary>
    public FieldSchema Without(string field, string hint) =>
        new(_fields, new Dictionary<string, string>(_absent, StringComparer.Ordinal) { [field] = hint });

    /// <summary>The hint for a field this schema leaves out on purpose, or null.</summary>
    public string? AbsentHint(string field) => _absent.GetValueOrDefault(field);

    /// <summary>Every field path this schema knows, with list items not indexed (e.g. <c>spec.rules.matches</c>).</summary>
    public IEnumerable<string> Paths(string prefix = "")
    {
        foreach (var (name, schema) in _fields)
        {
            var path = MappingReader.Join(prefix, name);
            yield return path;
            foreach (var below in schema.Paths(path))
            {
                yield return below;
            }
        }
    }

    /// <summary>The fields of the mapping (and of the objects below it) that this schema does not know, in document order.</summary>
    public List<UnknownField> FindUnknown(YamlMappingNode node)
    {
        var found = new List<UnknownField>();
        FindUnknown(node, "", found);
        return found;
    }

    private void FindUnknown(YamlMappingNode node, string path, List<UnknownField> found)
    {
        if (!IsStrict)
        {
            return;
        }

        foreach (var (key, value) in node.Children)
        {
            if (key is not YamlScalarNode { Value: { } name })
            {
                continue;
            }

            var fieldPath = MappingReader.Join(path, name);
            if (!_fields.TryGetValue(name, out var schema))
            {
                found.Add(new UnknownField(fieldPath, name, (int)key.Start.Line, (int)key.Start.Column, this));
                continue;
            }

            // A value of the wrong shape (a list where an object belongs) is the mapper's error to report.
            switch (value)
            {
                case YamlMappingNode map:
                    schema.FindUnknown(map, fieldPath, found);
                    break;
                case YamlSequenceNode list:
                    for (var i = 0; i < list.Children.Count; i++)
                    {
                        if (list.Children[i] is YamlMappingNode item)
                        {
                            schema.FindUnknown(item, $"{fieldPath}[{i}]", found);
                        }
                    }

                    break;
            }
        }
    }
}
