using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Weft.Discovery;

namespace Weft.Proxy.Outbound;

/// <summary>
/// Kestrel connection middleware for the outbound listener. If a connection opens with <c>CONNECT host:port</c>, it consumes
/// that request, answers 200, and serves the rest as an <see cref="OutboundTunnel"/> to host:port. Anything else is left
/// unread for Kestrel (absolute-form proxy requests).
/// </summary>
internal sealed class ConnectTunnelMiddleware
{
    private const int MaxConnectHeaderBytes = 16 * 1024;
    private static ReadOnlySpan<byte> ConnectPrefix => "CONNECT "u8;
    private static ReadOnlySpan<byte> HeaderEnd => "\r\n\r\n"u8;
    private static ReadOnlySpan<byte> Established => "HTTP/1.1 200 Connection established\r\n\r\n"u8;
    private static ReadOnlySpan<byte> BadRequest => "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8;

    private static readonly System.Buffers.SearchValues<char> ForbiddenInHost = System.Buffers.SearchValues.Create(" \t/?#@\\");

    private readonly ConnectionDelegate _next;
    private readonly ILogger _logger;
    private readonly CancellationToken _stopping;
    private readonly OutboundTunnel _tunnel;
    private readonly Http1.Http1Relay? _fastPath;
    private readonly LogLimiter _badConnects = new(ProxyLog.RefusalInterval, TimeProvider.System);

    private readonly TimeSpan _headerTimeout;

    public ConnectTunnelMiddleware(ConnectionDelegate next, ILogger logger, OutboundTunnel tunnel, Http1.Http1Relay? fastPath, TimeSpan headerTimeout, CancellationToken stopping)
    {
        _headerTimeout = headerTimeout;
        _next = next;
        _logger = logger;
        _stopping = stopping;
        _tunnel = tunnel;
        _fastPath = fastPath;
    }

    public async Task OnConnectionAsync(ConnectionContext connection)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed, _stopping);
        timeout.CancelAfter(connection.Features.Get<AcceptedFeature>()?.Left(_headerTimeout) ?? _headerTimeout);
        OriginalDestination? destination;
        try
        {
            var (isConnect, parsed) = await ReadConnectAsync(connection.Transport.Input, timeout.Token);
            if (!isConnect)
            {
                var protocol = await L4.ProtocolDetector.DetectAsync(connection.Transport.Input, _headerTimeout, timeout.Token);
                if (protocol == L4.DetectedProtocol.Http2)
                {
                    L4.H2cFeatures.Set(connection);
                }

                await Http1.Http1Relay.ServeAsync(_fastPath, connection, _next, protocol == L4.DetectedProtocol.Http1, plaintext: true);
                return;
            }

            destination = parsed;
        }
        catch (OperationCanceledException)
        {
            return; // the client went away or never finished its request line
        }

        var output = connection.Transport.Output;
        if (destination is null)
        {
            if (_badConnects.TryTake(out var suppressed))
            {
                ProxyLog.BadConnect(_logger, connection.ConnectionId, connection.RemoteEndPoint?.ToString(), suppressed);
            }

            output.Write(BadRequest);
            await output.FlushAsync();
            return;
        }

        output.Write(Established);
        await output.FlushAsync();

        // Responses go through Kestrel's output pipe, behind the 200 above: a client may send its first request in the
        // same write as CONNECT, and a write straight to the socket could overtake the 200 still in the pipe.
        await _tunnel.ServeAsync(connection, destination, plaintext: false);
    }

    /// <summary>
    /// Peeks at the connection's first bytes. Not CONNECT: nothing consumed. CONNECT: consumed through the end of its
    /// header block, with the parsed target, or null when the request is malformed.
    /// </summary>
    private static async ValueTask<(bool IsConnect, OriginalDestination? Destination)> ReadConnectAsync(PipeReader input, CancellationToken ct)
    {
        while (true)
        {
            var result = await input.ReadAsync(ct);
            var buffer = result.Buffer;
            if (!MayBeConnect(buffer, out var prefixLength))
            {
                input.AdvanceTo(buffer.Start); // not ours: leave every byte for Kestrel
                return (false, null);
            }

            if (prefixLength == ConnectPrefix.Length)
            {
                var reader = new SequenceReader<byte>(buffer);
                if (reader.TryReadTo(out ReadOnlySequence<byte> header, HeaderEnd))
                {
                    var target = ParseTarget(header); // before AdvanceTo: the buffer is the pipe's until then
                    input.AdvanceTo(reader.Position);
                    return (true, target);
                }

                if (buffer.Length > MaxConnectHeaderBytes)
                {
                    input.AdvanceTo(buffer.End);
                    return (true, null);
                }
            }

            if (result.IsCompleted)
            {
                input.AdvanceTo(buffer.Start, buffer.End);
                return prefixLength == ConnectPrefix.Length ? (true, null) : (false, null);
            }

            input.AdvanceTo(buffer.Start, buffer.End); // need more bytes before deciding
        }
    }

    /// <summary>Whether the bytes so far are CONNECT or a prefix of it; <paramref name="prefixLength"/> is how many were compared.</summary>
    private static bool MayBeConnect(ReadOnlySequence<byte> buffer, out int prefixLength)
    {
        prefixLength = (int)Math.Min(buffer.Length, ConnectPrefix.Length);
        Span<byte> head = stackalloc byte[8];
        buffer.Slice(0, prefixLength).CopyTo(head);
        return head[..prefixLength].SequenceEqual(ConnectPrefix[..prefixLength]);
    }

    /// <summary>Parses <c>CONNECT host:port HTTP/1.x</c> (host may be a bracketed IPv6 literal) from the header block.</summary>
    internal static OriginalDestination? ParseTarget(ReadOnlySequence<byte> header)
    {
        var reader = new SequenceReader<byte>(header);
        if (!reader.TryReadTo(out ReadOnlySequence<byte> lineBytes, "\r\n"u8))
        {
            lineBytes = header;
        }

        if (lineBytes.Length > 4096)
        {
            return null;
        }

        var line = Encoding.ASCII.GetString(lineBytes);
        var parts = line.Split(' ');
        if (parts.Length != 3 || parts[0] != "CONNECT" || !parts[2].StartsWith("HTTP/1.", StringComparison.Ordinal))
        {
            return null;
        }

        return TryParseAuthority(parts[1], defaultPort: null, out var host, out var port) ? new OriginalDestination(host, port) : null;
    }

    /// <summary>Splits <c>host[:port]</c> / <c>[v6][:port]</c>; without a port, <paramref name="defaultPort"/> applies (null = required).</summary>
    internal static bool TryParseAuthority(string authority, int? defaultPort, out string host, out int port)
    {
        host = "";
        port = 0;
        string portText;
        if (authority.StartsWith('['))
        {
            var close = authority.IndexOf(']', StringComparison.Ordinal);
            if (close < 2)
            {
                return false;
            }

            host = authority[1..close];
            var rest = authority[(close + 1)..];
            if (rest.Length == 0)
            {
                portText = "";
            }
            else if (rest[0] == ':')
            {
                portText = rest[1..];
            }
            else
            {
                return false;
            }
        }
        else
        {
            var colon = authority.LastIndexOf(':');
            host = colon < 0 ? authority : authority[..colon];
            portText = colon < 0 ? "" : authority[(colon + 1)..];
            if (host.Contains(':', StringComparison.Ordinal))
            {
                return false;
            }
        }

        if (host.Length == 0 || host.AsSpan().ContainsAny(ForbiddenInHost))
        {
            return false;
        }

        if (portText.Length == 0)
        {
            if (defaultPort is not int d)
            {
                return false;
            }

            port = d;
            return true;
        }

        return int.TryParse(portText, System.Globalization.NumberStyles.None, null, out port) && port is > 0 and <= 65535;
    }
}
