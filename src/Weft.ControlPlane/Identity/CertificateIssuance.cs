using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Weft.ControlPlane.Internal;
using Weft.Discovery.Identity;
using Weft.Discovery.V1;

namespace Weft.ControlPlane.Identity;

/// <summary>
/// The IssueCertificate call for an authenticated caller: the SPIFFE ID from its claims (never from the CSR), signed.
/// </summary>
internal sealed class CertificateIssuance(MeshCertificateAuthority ca, ILogger<CertificateIssuance> logger)
{
    public IssueCertificateReply Issue(IssueCertificateRequest request, WorkloadClaims claims, string peer)
    {
        var spiffeId = SpiffeId.ForWorkload(ca.TrustDomain, claims.Namespace, claims.ServiceAccount);
        IssuedCertificate issued;
        try
        {
            issued = ca.Issue(request.CsrDer.Span, spiffeId, claims.Expires);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            Log.CertificateRefused(logger, $"{peer} ({claims.Namespace}/{claims.PodName})", e.Message);
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"certification request refused: {e.Message}"));
        }

        Log.CertificateIssued(logger, issued.SerialNumber, spiffeId, claims.Namespace, claims.PodName, issued.NotAfter);
        var reply = new IssueCertificateReply
        {
            CertificateDer = ByteString.CopyFrom(issued.CertificateDer),
            SpiffeId = spiffeId,
            NotAfterUnixMs = issued.NotAfter.ToUnixTimeMilliseconds(),
        };
        reply.TrustBundleDer.AddRange(issued.TrustBundleDer.Select(ByteString.CopyFrom));
        return reply;
    }
}
