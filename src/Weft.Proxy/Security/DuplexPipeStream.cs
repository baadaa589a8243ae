using System.IO.Pipelines;
using System.Net.Sockets;

namespace Weft.Proxy.Security;

/// <summary>
/// A Kestrel connection's transport (an <see cref="IDuplexPipe"/>) as one read/write <see cref="Stream"/>, for SslStream
/// and byte pumps. With <paramref name="socket"/> (the connection's own, from <c>IConnectionSocketFeature</c>) writes go
/// straight to it instead of through the output pipe, whose sends Kestrel makes on a thread-pool hop: for the mTLS
/// server side, where everything written to the connection is written by SslStream through this stream.
/// </summary>
internal sealed class DuplexPipeStream(IDuplexPipe pipe, Socket? socket = null) : Stream
{
    private readonly Stream _input = pipe.Input.AsStream(leaveOpen: true);
    private readonly Stream _output = socket is null ? pipe.Output.AsStream(leaveOpen: true) : new NetworkStream(socket, ownsSocket: false);

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <summary>Ends the write direction (the peer reads end of stream) while reading goes on.</summary>
    public ValueTask CompleteWritesAsync()
    {
        socket?.Shutdown(SocketShutdown.Send);
        return pipe.Output.CompleteAsync();
    }

    public override int Read(byte[] buffer, int offset, int count) => _input.Read(buffer, offset, count);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _input.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        _input.ReadAsync(buffer, offset, count, cancellationToken);

    public override void Write(byte[] buffer, int offset, int count) => _output.Write(buffer, offset, count);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => _output.WriteAsync(buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        _output.WriteAsync(buffer, offset, count, cancellationToken);

    public override void Flush() => _output.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => _output.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
