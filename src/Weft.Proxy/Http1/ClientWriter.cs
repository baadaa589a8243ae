using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace Weft.Proxy.Http1;

/// <summary>Where the relay writes a client's responses: bytes gathered with <see cref="GetSpan"/>/<see cref="Write"/>, sent by <see cref="FlushAsync"/>.</summary>
internal abstract class ClientWriter : IDisposable
{
    public abstract Span<byte> GetSpan(int size);

    public abstract void Advance(int count);

    public virtual void Write(ReadOnlySpan<byte> data)
    {
        data.CopyTo(GetSpan(data.Length));
        Advance(data.Length);
    }

    /// <summary>Sends what was written; false if the client is gone.</summary>
    public abstract ValueTask<bool> FlushAsync();

    public virtual void Dispose()
    {
    }
}

/// <summary>Writes through the connection's output pipe (a TLS connection's decrypted side).</summary>
internal sealed class PipeClientWriter(PipeWriter pipe) : ClientWriter
{
    public override Span<byte> GetSpan(int size) => pipe.GetSpan(size);

    public override void Advance(int count) => pipe.Advance(count);

    public override void Write(ReadOnlySpan<byte> data) => pipe.Write(data);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<bool> FlushAsync()
    {
        var result = await pipe.FlushAsync();
        return !result.IsCompleted && !result.IsCanceled;
    }
}

/// <summary>
/// Writes straight to a plaintext client's socket. Kestrel's output pipe would hand each response to its I/O queue, a
/// thread-pool hop per response (a wake-up, a context switch, a worker spinning before it sleeps: ~15% of the proxy's
/// CPU in a profile); a send from the relay's own continuation usually completes at once. Only used while the relay owns
/// the connection and nothing else writes to it: Kestrel's pipe is empty then, and stays untouched until a hand-off.
/// </summary>
internal sealed class SocketClientWriter(Socket socket) : ClientWriter
{
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(4 * 1024);
    private int _count;

    public override Span<byte> GetSpan(int size)
    {
        if (_count + size > _buffer.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _count + size));
            _buffer.AsSpan(0, _count).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }

        return _buffer.AsSpan(_count);
    }

    public override void Advance(int count) => _count += count;

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<bool> FlushAsync()
    {
        var sent = 0;
        try
        {
            while (sent < _count)
            {
                sent += await socket.SendAsync(_buffer.AsMemory(sent, _count - sent), SocketFlags.None);
            }

            return true;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return false;
        }
        finally
        {
            _count = 0;
        }
    }

    public override void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        base.Dispose();
    }
}
