using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Weft.Proxy.Tests.Http1;

/// <summary>
/// A raw TCP client connection to the inbound listener, for tests where the exact bytes matter: writes what it is given,
/// reads responses by the framing rules of RFC 9112 6.3. Every read has a deadline.
/// </summary>
public sealed class RawConnection : IAsyncDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);
    private static readonly byte[] HeadEnd = "\r\n\r\n"u8.ToArray();

    private readonly Socket _socket;
    private readonly Stream _stream;
    private readonly WireReader _reader;

    private RawConnection(Socket socket, Stream? stream = null)
    {
        _socket = socket;
        _stream = stream ?? new NetworkStream(socket, ownsSocket: true);
        _reader = new WireReader(_stream);
    }

    /// <summary>The connection's (decrypted) byte stream, for a protocol other than HTTP/1.1 (a tap).</summary>
    public Stream Stream => _stream;

    /// <summary>A connection that proves <paramref name="identity"/> in an mTLS handshake with ALPN <paramref name="alpn"/>, as a peer sidecar does.</summary>
    public static async Task<RawConnection> OpenMtlsAsync(IPEndPoint endpoint, Weft.Discovery.Identity.IdentitySnapshot identity, string alpn = "http/1.1")
    {
        var plain = await OpenAsync(endpoint);
        var ssl = new System.Net.Security.SslStream(plain._stream, leaveInnerStreamOpen: false);
        using var timeout = new CancellationTokenSource(Deadline);
        await ssl.AuthenticateAsClientAsync(
            new System.Net.Security.SslClientAuthenticationOptions
            {
                TargetHost = "weft",
                ClientCertificates = [identity.Certificate],
                ApplicationProtocols = [new System.Net.Security.SslApplicationProtocol(alpn)],
                // The server's SPIFFE ID is not what these tests are about; its chain to the mesh root is checked.
                RemoteCertificateValidationCallback = (_, certificate, _, _) => ChainsTo(certificate, identity.TrustBundle),
            },
            timeout.Token);
        return new RawConnection(plain._socket, ssl);
    }

    public static async Task<RawConnection> OpenAsync(IPEndPoint endpoint)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var timeout = new CancellationTokenSource(Deadline);
        try
        {
            await socket.ConnectAsync(endpoint, timeout.Token);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new RawConnection(socket);
    }

    /// <summary>Whether <paramref name="certificate"/> chains to one of <paramref name="roots"/> (and to nothing else).</summary>
    public static bool ChainsTo(System.Security.Cryptography.X509Certificates.X509Certificate? certificate, System.Security.Cryptography.X509Certificates.X509Certificate2Collection roots)
    {
        if (certificate is null)
        {
            return false;
        }

        using var leaf = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        using var chain = new System.Security.Cryptography.X509Certificates.X509Chain();
        chain.ChainPolicy.TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        return chain.Build(leaf);
    }

    /// <summary>Writes <paramref name="bytes"/> in one send.</summary>
    public async Task SendAsync(byte[] bytes)
    {
        using var timeout = new CancellationTokenSource(Deadline);
        await _stream.WriteAsync(bytes, timeout.Token);
    }

    /// <summary>Writes <paramref name="text"/> (Latin-1) in one send.</summary>
    public Task SendAsync(string text) => SendAsync(Encoding.Latin1.GetBytes(text));

    /// <summary>
    /// Reads one response (an interim 1xx one too: call again for the final one). <paramref name="requestWasHead"/>: the
    /// response to a HEAD request has no body whatever its headers say. <paramref name="within"/>: the deadline for the
    /// whole response (10 s unless given).
    /// </summary>
    public async Task<RawResponse> ReadResponseAsync(bool requestWasHead = false, TimeSpan? within = null)
    {
        using var timeout = new CancellationTokenSource(within ?? Deadline);
        var ct = timeout.Token;
        var headBytes = await _reader.ReadThroughAsync(HeadEnd, ct)
            ?? throw new IOException("the proxy closed the connection before a response head");
        var head = Encoding.Latin1.GetString(headBytes);
        var status = int.Parse(head.AsSpan(9, 3), provider: System.Globalization.CultureInfo.InvariantCulture);
        var response = new RawResponse(status, head, [], []);
        byte[]? body;
        byte[]? raw = null;
        if (requestWasHead || status is < 200 or 204 or 304)
        {
            body = [];
        }
        else if (response.Header("transfer-encoding") is { } coding && coding.EndsWith("chunked", StringComparison.OrdinalIgnoreCase))
        {
            var chunked = await _reader.ReadChunkedAsync(ct);
            (body, raw) = chunked is { } c ? (c.Data, c.Raw) : (null, null);
        }
        else if (response.Header("content-length") is { } length)
        {
            body = await _reader.ReadExactlyAsync(long.Parse(length, System.Globalization.CultureInfo.InvariantCulture), ct);
        }
        else
        {
            body = await _reader.ReadToEndAsync(ct);
        }

        if (body is null)
        {
            throw new IOException($"the proxy closed the connection inside the response body after {head}");
        }

        return response with { Body = body, RawBody = raw ?? body };
    }

    /// <summary>Whether the proxy closes the connection (rather than sending more) within the deadline.</summary>
    public async Task<bool> ClosedByProxyAsync()
    {
        using var timeout = new CancellationTokenSource(Deadline);
        try
        {
            return await _reader.EndsAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _socket.Dispose();
    }
}
