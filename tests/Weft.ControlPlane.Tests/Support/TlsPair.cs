using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Weft.Discovery.Identity;

namespace Weft.ControlPlane.Tests.Support;

/// <summary>A real mTLS handshake over a loopback TCP connection, each side validating the other with <see cref="SpiffeValidation"/>, as the proxy will.</summary>
internal static class TlsPair
{
    public sealed record Outcome(string? ServerSawClient, string? ClientSawServer, SslProtocols ServerProtocol, SslProtocols ClientProtocol, byte Echoed);

    public static async Task<Outcome> HandshakeAsync(
        X509Certificate2 serverCertificate,
        X509Certificate2Collection serverTrust,
        X509Certificate2 clientCertificate,
        X509Certificate2Collection clientTrust,
        string? expectedServer,
        DateTimeOffset now)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var clientTcp = new TcpClient();
        var connect = clientTcp.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port, timeout.Token).AsTask();
        using var serverTcp = await listener.AcceptTcpClientAsync(timeout.Token);
        await connect;

        string? serverSaw = null, clientSaw = null;
        await using var server = new SslStream(serverTcp.GetStream());
        await using var client = new SslStream(clientTcp.GetStream());
        var serverSide = server.AuthenticateAsServerAsync(
            new SslServerAuthenticationOptions
            {
                ServerCertificateContext = SslStreamCertificateContext.Create(serverCertificate, null, offline: true),
                ClientCertificateRequired = true,
                EnabledSslProtocols = SslProtocols.Tls13,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                RemoteCertificateValidationCallback = (_, peer, _, _) =>
                    SpiffeValidation.Validate(peer as X509Certificate2, serverTrust, null, now, out serverSaw, out _),
            },
            timeout.Token);
        var clientSide = client.AuthenticateAsClientAsync(
            new SslClientAuthenticationOptions
            {
                TargetHost = "weft-mesh",
                ClientCertificateContext = SslStreamCertificateContext.Create(clientCertificate, null, offline: true),
                EnabledSslProtocols = SslProtocols.Tls13,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                RemoteCertificateValidationCallback = (_, peer, _, _) =>
                    SpiffeValidation.Validate(peer as X509Certificate2, clientTrust, expectedServer, now, out clientSaw, out _),
            },
            timeout.Token);
        await Task.WhenAll(serverSide, clientSide);

        await client.WriteAsync(new byte[] { 42 }, timeout.Token);
        var received = new byte[1];
        await server.ReadExactlyAsync(received, timeout.Token);
        return new Outcome(serverSaw, clientSaw, server.SslProtocol, client.SslProtocol, received[0]);
    }
}
