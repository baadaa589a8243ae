using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace Weft.Proxy.L4;

/// <summary>
/// h2c with prior knowledge on a listener that also serves HTTP/1.1 (as src/Weft.Echo/Http/H2cPriorKnowledge.cs): Kestrel
/// picks HTTP/2 on a cleartext Http1AndHttp2 endpoint only when a TLS feature says ALPN chose "h2", so a connection whose
/// first bytes are the HTTP/2 preface gets such features (the server sets AllowAlternateSchemes for <c>:scheme http</c>).
/// </summary>
internal sealed class H2cFeatures : ITlsConnectionFeature, ITlsApplicationProtocolFeature
{
    private static readonly H2cFeatures Instance = new();
    private static readonly byte[] H2 = "h2"u8.ToArray();

    public ReadOnlyMemory<byte> ApplicationProtocol => H2;

    public X509Certificate2? ClientCertificate
    {
        get => null;
        set { }
    }

    public static void Set(ConnectionContext connection)
    {
        connection.Features.Set<ITlsConnectionFeature>(Instance);
        connection.Features.Set<ITlsApplicationProtocolFeature>(Instance);
    }

    public Task<X509Certificate2?> GetClientCertificateAsync(CancellationToken cancellationToken) => Task.FromResult<X509Certificate2?>(null);
}
