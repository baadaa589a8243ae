using System.Text;
using Weft.Routing.Filters;
using Weft.Routing.Matching;

namespace Weft.Proxy.Http1;

/// <summary>
/// A parsed request head's headers for route matching (<see cref="IHeaderLookup"/>): a copy of the head's bytes, read
/// only when a rule matches on headers. Several lines of one name read as one comma-joined value (<see cref="HeaderList"/>),
/// as the full path reads Kestrel's header dictionary. Edits (<see cref="IHeaderEditor"/>, header filters) are not
/// made: a request whose plan has filters is left to the full path, which makes them.
/// </summary>
internal sealed class RawHeaders : IHeaderLookup, IHeaderEditor
{
    private byte[] _bytes = new byte[1024];
    private RequestHead? _head;

    public void Reset(ReadOnlySpan<byte> head, RequestHead parsed)
    {
        if (_bytes.Length < parsed.Length)
        {
            _bytes = new byte[Math.Max(parsed.Length, _bytes.Length * 2)];
        }

        head[..parsed.Length].CopyTo(_bytes);
        _head = parsed;
    }

    public bool TryGetValue(string name, out string? value)
    {
        value = null;
        if (name.Equals(Weft.Routing.MeshWire.SourceWorkloadHeader, StringComparison.OrdinalIgnoreCase))
        {
            return false; // never matched on: the full path removes it first (it is for the server side's metrics only)
        }

        var head = _head!;
        for (var i = 0; i < head.HeaderCount; i++)
        {
            var line = _bytes.AsSpan(head.Headers[i].Start, head.Headers[i].Length);
            var colon = line.IndexOf((byte)':');
            if (colon != name.Length || !Ascii.EqualsIgnoreCase(line[..colon], name))
            {
                continue;
            }

            var field = Encoding.Latin1.GetString(line[(colon + 1)..].Trim(" \t"u8));
            value = HeaderList.AppendValue(value, field);
        }

        return value is not null;
    }

    public string? Get(string name) => TryGetValue(name, out var value) ? value : null;

    public void Set(string name, string value)
    {
    }

    public void Append(string name, string value)
    {
    }

    public void Remove(string name)
    {
    }
}
