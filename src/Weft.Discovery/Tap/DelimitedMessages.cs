using System.Buffers;
using Google.Protobuf;

namespace Weft.Discovery.Tap;

/// <summary>
/// Length-delimited protobuf messages (a varint length, then the message, as <c>WriteDelimitedTo</c> writes them) read
/// and written asynchronously, with a bound on what a peer may make the reader buffer.
/// </summary>
public static class DelimitedMessages
{
    /// <summary>Writes <paramref name="message"/> with its length prefix, in one write.</summary>
    public static async ValueTask WriteAsync(Stream stream, IMessage message, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(message);
        var size = message.CalculateSize();
        var total = CodedOutputStream.ComputeLengthSize(size) + size;
        var buffer = ArrayPool<byte>.Shared.Rent(total);
        try
        {
            var output = new CodedOutputStream(buffer);
            output.WriteLength(size);
            message.WriteTo(output);
            output.Flush();
            await stream.WriteAsync(buffer.AsMemory(0, total), ct).ConfigureAwait(false);
            await stream.FlushAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// The next message, or null when the stream ends cleanly before one; throws <see cref="InvalidDataException"/> for a
    /// length over <paramref name="maxSize"/> or a stream that ends inside a message.
    /// </summary>
    public static async ValueTask<T?> ReadAsync<T>(Stream stream, MessageParser<T> parser, int maxSize, CancellationToken ct)
        where T : class, IMessage<T>
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(parser);
        var one = new byte[1];
        var size = 0;
        for (var shift = 0; ; shift += 7)
        {
            if (await stream.ReadAsync(one, ct).ConfigureAwait(false) == 0)
            {
                return shift == 0 ? null : throw new InvalidDataException("the stream ended inside a message's length");
            }

            if (shift > 28)
            {
                throw new InvalidDataException("a message length longer than five bytes");
            }

            size |= (one[0] & 0x7F) << shift;
            if ((one[0] & 0x80) == 0)
            {
                break;
            }
        }

        if (size < 0 || size > maxSize)
        {
            throw new InvalidDataException($"a message of {size} bytes; at most {maxSize} are accepted");
        }

        var body = new byte[size];
        await stream.ReadExactlyAsync(body, ct).ConfigureAwait(false);
        return parser.ParseFrom(body);
    }
}
