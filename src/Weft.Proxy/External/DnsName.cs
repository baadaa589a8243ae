namespace Weft.Proxy.External;

/// <summary>
/// Domain names on the wire (RFC 1035 3.1, 4.1.4): labels of at most 63 octets, at most 255 octets in all, and in a
/// response a compression pointer (two bytes, top bits set) to where the rest of the name was written before.
/// Reading never goes past the packet, and a pointer is followed only to an earlier offset than the last one, so no input
/// makes it throw or loop.
/// </summary>
public static class DnsName
{
    /// <summary>A name's longest wire form; its text (dots between labels, none at the end) is 2 shorter.</summary>
    public const int MaxWireLength = 255;

    public const int MaxLabelLength = 63;

    /// <summary>
    /// Reads the name at <paramref name="position"/> as text into <paramref name="name"/> (at least <see cref="MaxWireLength"/>
    /// chars), labels joined by dots, and moves <paramref name="position"/> past it. Without <paramref name="followPointers"/>
    /// a compression pointer makes the name unreadable (a query's question: nothing precedes it to point at). A dot inside a
    /// label (legal on the wire, never in a host name) becomes NUL, so such a name never equals one written with dots.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> packet, ref int position, Span<char> name, out int nameLength, bool followPointers = false)
    {
        nameLength = 0;
        var at = position;
        var end = -1; // where the name ends in place: after its first pointer, if it has one
        var earliest = position; // a pointer must go before this, so the walk always ends
        var wireLength = 0;
        while (true)
        {
            if (at >= packet.Length)
            {
                return false;
            }

            int labelLength = packet[at];
            if ((labelLength & 0xC0) == 0xC0 && followPointers)
            {
                if (packet.Length - at < 2)
                {
                    return false;
                }

                var target = ((labelLength & 0x3F) << 8) | packet[at + 1];
                if (target >= earliest || target < DnsWire.HeaderLength)
                {
                    return false;
                }

                if (end < 0)
                {
                    end = at + 2;
                }

                at = earliest = target;
                continue;
            }

            at++;
            wireLength += 1 + labelLength;
            if (labelLength > MaxLabelLength || wireLength > MaxWireLength || packet.Length - at < labelLength)
            {
                return false; // a pointer not followed or an extended label type (top bits set), or too long, or cut short
            }

            if (labelLength == 0)
            {
                position = end < 0 ? at : end;
                return true;
            }

            if (nameLength > 0)
            {
                name[nameLength++] = '.';
            }

            foreach (var b in packet.Slice(at, labelLength))
            {
                name[nameLength++] = b == (byte)'.' ? '\0' : (char)b;
            }

            at += labelLength;
        }
    }

    /// <summary>Steps over a record's name; a compression pointer ends it and is not followed.</summary>
    public static bool TrySkip(ReadOnlySpan<byte> packet, ref int position, out bool isRoot)
    {
        isRoot = false;
        var at = position;
        var wireLength = 0;
        while (true)
        {
            if (at >= packet.Length)
            {
                return false;
            }

            int labelLength = packet[at];
            if ((labelLength & 0xC0) == 0xC0)
            {
                if (packet.Length - at < 2)
                {
                    return false;
                }

                position = at + 2;
                return true;
            }

            wireLength += 1 + labelLength;
            if (labelLength > MaxLabelLength || wireLength > MaxWireLength)
            {
                return false;
            }

            at += 1 + labelLength;
            if (labelLength == 0)
            {
                isRoot = wireLength == 1;
                position = at;
                return true;
            }
        }
    }

    /// <summary>
    /// Writes host name <paramref name="name"/> (a trailing dot or none) uncompressed into <paramref name="destination"/>;
    /// false for a name that is not one: empty, an empty label, a label over 63 octets, over 255 octets in all, or a
    /// character outside printable ASCII (an internationalized name travels as its A-label, <c>xn--</c>).
    /// </summary>
    public static bool TryWrite(ReadOnlySpan<char> name, Span<byte> destination, out int written)
    {
        written = 0;
        if (name.EndsWith('.'))
        {
            name = name[..^1];
        }

        if (name.IsEmpty || name.Length + 2 > MaxWireLength || destination.Length < name.Length + 2)
        {
            return false;
        }

        var at = 0;
        foreach (var range in name.Split('.'))
        {
            var label = name[range];
            if (label.IsEmpty || label.Length > MaxLabelLength)
            {
                return false;
            }

            destination[at++] = (byte)label.Length;
            foreach (var c in label)
            {
                if (c is <= ' ' or > '~')
                {
                    return false;
                }

                destination[at++] = (byte)c;
            }
        }

        destination[at++] = 0;
        written = at;
        return true;
    }
}
