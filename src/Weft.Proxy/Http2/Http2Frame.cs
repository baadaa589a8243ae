using System.Buffers.Binary;

namespace Weft.Proxy.Http2;

/// <summary>HTTP/2 frame types (RFC 9113 section 6).</summary>
internal enum FrameType : byte
{
    Data = 0,
    Headers = 1,
    Priority = 2,
    RstStream = 3,
    Settings = 4,
    PushPromise = 5,
    Ping = 6,
    GoAway = 7,
    WindowUpdate = 8,
    Continuation = 9,
}

/// <summary>Frame flags; the same bit means different things by type (END_STREAM and ACK are both 0x1).</summary>
[Flags]
internal enum FrameFlags : byte
{
    None = 0,
    EndStream = 0x1,
#pragma warning disable CA1069 // the bit is END_STREAM on DATA and HEADERS, ACK on SETTINGS and PING
    Ack = 0x1,
#pragma warning restore CA1069
    EndHeaders = 0x4,
    Padded = 0x8,
    Priority = 0x20,
}

/// <summary>Error codes of RST_STREAM and GOAWAY (RFC 9113 section 7).</summary>
internal static class Http2Error
{
    public const int NoError = 0x0;
    public const int ProtocolError = 0x1;
    public const int InternalError = 0x2;
    public const int FlowControlError = 0x3;
    public const int StreamClosed = 0x5;
    public const int FrameSizeError = 0x6;
    public const int RefusedStream = 0x7;
    public const int Cancel = 0x8;
    public const int CompressionError = 0x9;
}

/// <summary>The 9-byte frame header: 24-bit length, type, flags, 31-bit stream identifier.</summary>
internal readonly record struct FrameHeader(int Length, FrameType Type, FrameFlags Flags, int StreamId)
{
    public const int Size = 9;

    /// <summary>The largest frame payload every peer must accept (SETTINGS_MAX_FRAME_SIZE's initial value).</summary>
    public const int DefaultMaxPayload = 16_384;

    public bool Has(FrameFlags flag) => (Flags & flag) != 0;

    /// <summary>
    /// Where the frame's content lies in <paramref name="payload"/>: without its padding (PADDED: a length byte first,
    /// that many bytes last) and, for HEADERS, its priority fields (PRIORITY: 5 bytes after the length byte).
    /// </summary>
    public Range Content(ReadOnlySpan<byte> payload)
    {
        var start = 0;
        var padding = 0;
        if (Has(FrameFlags.Padded))
        {
            padding = payload.IsEmpty ? throw new Http2ConnectionException(Http2Error.ProtocolError, "a padded frame without its padding length") : payload[0];
            start = 1;
        }

        if (Type == FrameType.Headers && Has(FrameFlags.Priority))
        {
            start += 5;
        }

        var end = payload.Length - padding;
        return end >= start ? start..end : throw new Http2ConnectionException(Http2Error.ProtocolError, "padding or priority longer than its frame");
    }

    public static FrameHeader Read(ReadOnlySpan<byte> source) => new(
        (source[0] << 16) | (source[1] << 8) | source[2],
        (FrameType)source[3],
        (FrameFlags)source[4],
        (int)(BinaryPrimitives.ReadUInt32BigEndian(source[5..]) & 0x7FFF_FFFF));

    public static void Write(Span<byte> destination, int length, FrameType type, FrameFlags flags, int streamId)
    {
        destination[0] = (byte)(length >> 16);
        destination[1] = (byte)(length >> 8);
        destination[2] = (byte)length;
        destination[3] = (byte)type;
        destination[4] = (byte)flags;
        BinaryPrimitives.WriteUInt32BigEndian(destination[5..], (uint)streamId);
    }
}

/// <summary>SETTINGS identifiers (RFC 9113 section 6.5.2).</summary>
internal static class SettingId
{
    public const ushort HeaderTableSize = 0x1;
    public const ushort EnablePush = 0x2;
    public const ushort MaxConcurrentStreams = 0x3;
    public const ushort InitialWindowSize = 0x4;
    public const ushort MaxFrameSize = 0x5;
    public const ushort MaxHeaderListSize = 0x6;
}
