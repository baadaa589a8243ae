namespace Weft.Proxy.Http1;

/// <summary>The non-empty elements of a comma-separated list value (RFC 9110 5.6.1), without surrounding whitespace: <c>foreach</c>.</summary>
internal ref struct ListElements(ReadOnlySpan<byte> value)
{
    private ReadOnlySpan<byte> _rest = value;

    public ReadOnlySpan<byte> Current { get; private set; }

    public readonly ListElements GetEnumerator() => this;

    public bool MoveNext()
    {
        while (!_rest.IsEmpty)
        {
            var comma = _rest.IndexOf((byte)',');
            Current = (comma < 0 ? _rest : _rest[..comma]).Trim(" \t"u8);
            _rest = comma < 0 ? default : _rest[(comma + 1)..];
            if (!Current.IsEmpty)
            {
                return true;
            }
        }

        return false;
    }
}
