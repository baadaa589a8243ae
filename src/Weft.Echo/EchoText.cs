using System.Text;

namespace Weft.Echo;

/// <summary>Writes the echo text format: <c>Name=Value\n</c> per field, in the order written.</summary>
internal sealed class EchoText
{
    private readonly StringBuilder _text = new(512);

    public EchoText Field(string name, string? value)
    {
        _text.Append(name).Append('=').Append(value).Append('\n');
        return this;
    }

    /// <summary>One <c>RequestHeader=Name:Value</c> line per value, names sorted ordinally as Go's sort.Strings does.</summary>
    public EchoText RequestHeaders(IEnumerable<KeyValuePair<string, IReadOnlyList<string>>> headers)
    {
        foreach (var (name, values) in headers.OrderBy(h => h.Key, StringComparer.Ordinal))
        {
            foreach (var value in values)
            {
                Field(EchoField.RequestHeader, name + ":" + value);
            }
        }

        return this;
    }

    public override string ToString() => _text.ToString();
}
