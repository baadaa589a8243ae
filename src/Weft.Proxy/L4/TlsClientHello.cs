using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Weft.Proxy.L4;

/// <summary>What reading a TLS ClientHello from the first bytes of a connection found.</summary>
internal enum ClientHelloResult
{
    /// <summary>The record is not complete yet.</summary>
    NeedMore,

    /// <summary>A ClientHello was read; the server name (SNI) is set when the client sent one.</summary>
    Parsed,

    /// <summary>The bytes are not a TLS handshake record holding a ClientHello.</summary>
    NotClientHello,
}

/// <summary>
/// Reads the server name (RFC 6066 server_name extension) from a TLS ClientHello without terminating TLS (TLSRoute
/// passthrough, gamma-spec K3): record header (RFC 8446 5.1), handshake header, then the ClientHello fields up to the
/// extensions. Only the first record is read; a ClientHello larger than one record (16 KiB) is read as far as it goes.
/// </summary>
internal static class TlsClientHello
{
    public const int MaxRecord = 5 + (16 * 1024) + 256;

    public static ClientHelloResult TryReadServerName(ReadOnlySequence<byte> buffer, out string? serverName)
    {
        serverName = null;
        if (buffer.Length < 5)
        {
            return buffer.Length > 0 && buffer.FirstSpan[0] != 0x16 ? ClientHelloResult.NotClientHello : ClientHelloResult.NeedMore;
        }

        Span<byte> header = stackalloc byte[5];
        buffer.Slice(0, 5).CopyTo(header);
        if (header[0] != 0x16 || header[1] != 3)
        {
            return ClientHelloResult.NotClientHello;
        }

        var recordLength = BinaryPrimitives.ReadUInt16BigEndian(header[3..]);
        if (buffer.Length < 5 + recordLength)
        {
            return ClientHelloResult.NeedMore;
        }

        var record = buffer.Slice(5, recordLength).ToArray();
        return TryReadServerName(record, out serverName);
    }

    /// <summary>Parses a handshake message (the record's payload).</summary>
    public static ClientHelloResult TryReadServerName(ReadOnlySpan<byte> handshake, out string? serverName)
    {
        serverName = null;
        var r = new Reader(handshake);
        if (!r.Byte(out var type) || type != 1 || !r.Skip(3) /* length */ || !r.Skip(2 + 32) /* version, random */
            || !r.Vector8(out _) /* session id */ || !r.Vector16(out _) /* cipher suites */ || !r.Vector8(out _) /* compression */)
        {
            return ClientHelloResult.NotClientHello;
        }

        if (!r.Vector16(out var extensions))
        {
            return ClientHelloResult.Parsed; // no extensions, no SNI
        }

        var e = new Reader(extensions);
        while (e.UInt16(out var extType) && e.Vector16(out var data))
        {
            if (extType != 0)
            {
                continue;
            }

            var list = new Reader(data);
            if (!list.Vector16(out var names))
            {
                return ClientHelloResult.NotClientHello;
            }

            var n = new Reader(names);
            while (n.Byte(out var nameType) && n.Vector16(out var name))
            {
                if (nameType == 0)
                {
                    serverName = Encoding.ASCII.GetString(name).TrimEnd('.').ToLowerInvariant();
                    return ClientHelloResult.Parsed;
                }
            }
        }

        return ClientHelloResult.Parsed;
    }

    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private ReadOnlySpan<byte> _rest = data;

        public bool Byte(out byte value)
        {
            value = 0;
            if (_rest.Length < 1)
            {
                return false;
            }

            value = _rest[0];
            _rest = _rest[1..];
            return true;
        }

        public bool UInt16(out ushort value)
        {
            value = 0;
            if (_rest.Length < 2)
            {
                return false;
            }

            value = BinaryPrimitives.ReadUInt16BigEndian(_rest);
            _rest = _rest[2..];
            return true;
        }

        public bool Skip(int count)
        {
            if (_rest.Length < count)
            {
                return false;
            }

            _rest = _rest[count..];
            return true;
        }

        public bool Vector8(out ReadOnlySpan<byte> value)
        {
            value = default;
            if (!Byte(out var length) || _rest.Length < length)
            {
                return false;
            }

            value = _rest[..length];
            _rest = _rest[length..];
            return true;
        }

        public bool Vector16(out ReadOnlySpan<byte> value)
        {
            value = default;
            if (!UInt16(out var length) || _rest.Length < length)
            {
                return false;
            }

            value = _rest[..length];
            _rest = _rest[length..];
            return true;
        }
    }
}
