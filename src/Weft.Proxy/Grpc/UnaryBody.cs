using System.Buffers;
using System.Buffers.Binary;
using Microsoft.AspNetCore.Http;

namespace Weft.Proxy.Grpc;

/// <summary>
/// Makes a unary gRPC request replayable for retries. gRPC clients send no Content-Length, so the body's size is only known
/// once the stream ends: a unary call is one length-prefixed message followed at once by END_STREAM. The proxy reads
/// what arrives within a short bound; if that is one whole message and the end of the stream, it keeps the bytes and
/// replaces the body with a seekable copy. Anything else (a streaming call, a slow or large body) is left untouched for
/// the forwarder, nothing consumed, so streaming calls behave exactly as without a retry policy.
/// </summary>
internal static class UnaryBody
{
    /// <summary>How long to wait for a unary body; a streaming client that sends nothing first is not held longer.</summary>
    public static readonly TimeSpan Wait = TimeSpan.FromMilliseconds(50);

    public static async ValueTask<bool> TryBufferAsync(HttpContext context, long maxBytes, TimeProvider time)
    {
        var reader = context.Request.BodyReader;
        var done = 0;
        using var timer = time.CreateTimer(
            _ =>
            {
                if (Volatile.Read(ref done) == 0)
                {
                    reader.CancelPendingRead();
                }
            },
            null, Wait, Timeout.InfiniteTimeSpan);
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(context.RequestAborted);
                var buffer = result.Buffer;
                if (result.IsCompleted && IsOneMessage(buffer) && buffer.Length <= maxBytes)
                {
                    Volatile.Write(ref done, 1);
                    var bytes = buffer.ToArray();
                    reader.AdvanceTo(buffer.End);
                    context.Request.Body = new MemoryStream(bytes, writable: false);
                    return true;
                }

                if (result.IsCanceled || result.IsCompleted || buffer.Length > maxBytes)
                {
                    // Not a small unary body (or not here in time): give everything back, unexamined, to the forwarder.
                    Volatile.Write(ref done, 1);
                    reader.AdvanceTo(buffer.Start);
                    return false;
                }

                reader.AdvanceTo(buffer.Start, buffer.End); // wait for more
            }
        }
        finally
        {
            Volatile.Write(ref done, 1);
        }
    }

    /// <summary>Exactly one gRPC message: a 5-byte prefix (compressed flag, big-endian length) and that many bytes.</summary>
    internal static bool IsOneMessage(ReadOnlySequence<byte> body)
    {
        if (body.Length < 5)
        {
            return false;
        }

        Span<byte> prefix = stackalloc byte[5];
        body.Slice(0, 5).CopyTo(prefix);
        return body.Length == 5 + (long)BinaryPrimitives.ReadUInt32BigEndian(prefix[1..]);
    }
}
