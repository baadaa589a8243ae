namespace Weft.Proxy.Http1;

/// <summary>
/// Follows a chunked body (RFC 9112 7.1) as its bytes stream past, without changing them, to find where the message ends:
/// chunk-size [extensions] CRLF data CRLF … 0 CRLF [trailer lines] CRLF. The relay copies bytes verbatim and only needs
/// to know how many of them belong to this message.
/// </summary>
internal struct ChunkedScanner
{
    private const long MaxChunk = 1L << 40;

    private State _state;
    private long _size;
    private bool _sizeDigits;

    private enum State
    {
        Size,
        Extension,
        SizeLf,
        Data,
        DataCr,
        DataLf,
        TrailerStart,
        TrailerLine,
        TrailerLf,
        LastLf,
        Done,
    }

    public readonly bool Done => _state == State.Done;

    /// <summary>
    /// Scans <paramref name="data"/>; returns how many of its bytes belong to the body (all of them unless the body
    /// ends inside), or -1 if the framing is malformed.
    /// </summary>
    public int Scan(ReadOnlySpan<byte> data)
    {
        var i = 0;
        while (i < data.Length && _state != State.Done)
        {
            if (_state == State.Data)
            {
                var take = (int)Math.Min(_size, data.Length - i);
                i += take;
                _size -= take;
                if (_size == 0)
                {
                    _state = State.DataCr;
                }

                continue;
            }

            var c = data[i++];
            switch (_state)
            {
                case State.Size:
                    var digit = HexValue(c);
                    if (digit >= 0)
                    {
                        _size = (_size << 4) | (uint)digit;
                        _sizeDigits = true;
                        if (_size > MaxChunk)
                        {
                            return -1;
                        }
                    }
                    else if (!_sizeDigits)
                    {
                        return -1;
                    }
                    else if (c == (byte)'\r')
                    {
                        _state = State.SizeLf;
                    }
                    else if (c is (byte)';' or (byte)' ' or (byte)'\t')
                    {
                        _state = State.Extension;
                    }
                    else
                    {
                        return -1;
                    }

                    break;
                case State.Extension:
                    if (c == (byte)'\r')
                    {
                        _state = State.SizeLf;
                    }
                    else if (c == (byte)'\n')
                    {
                        return -1;
                    }

                    break;
                case State.SizeLf:
                    if (c != (byte)'\n')
                    {
                        return -1;
                    }

                    _sizeDigits = false;
                    _state = _size == 0 ? State.TrailerStart : State.Data;
                    break;
                case State.DataCr:
                    if (c != (byte)'\r')
                    {
                        return -1;
                    }

                    _state = State.DataLf;
                    break;
                case State.DataLf:
                    if (c != (byte)'\n')
                    {
                        return -1;
                    }

                    _state = State.Size;
                    break;
                case State.TrailerStart:
                    _state = c == (byte)'\r' ? State.LastLf : c == (byte)'\n' ? State.Done : State.TrailerLine;
                    if (_state == State.Done)
                    {
                        return -1;
                    }

                    break;
                case State.TrailerLine:
                    if (c == (byte)'\r')
                    {
                        _state = State.TrailerLf;
                    }
                    else if (c == (byte)'\n')
                    {
                        return -1;
                    }

                    break;
                case State.TrailerLf:
                    if (c != (byte)'\n')
                    {
                        return -1;
                    }

                    _state = State.TrailerStart;
                    break;
                case State.LastLf:
                    if (c != (byte)'\n')
                    {
                        return -1;
                    }

                    _state = State.Done;
                    break;
            }
        }

        return i;
    }

    private static int HexValue(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => -1,
    };
}
