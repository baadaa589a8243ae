using Weft.Routing.Policy;

namespace Weft.Routing.Internal;

/// <summary>
/// A <c>validation</c> (BackendTLSPolicy's, or an XBackend's <c>tls.validation</c>) compiled once per model: the TLS to
/// originate, or the reason (and message) it cannot be honoured. <see cref="CaRefProblems"/> says what is wrong with each
/// bad <c>caCertificateRefs</c> entry (InvalidKind or InvalidCACertificateRef) and <see cref="UsableCaRefs"/> how many
/// are fine, which a BackendTLSPolicy's status reads (GEP-1897: all bad is NoValidCACertificate).
/// </summary>
internal sealed record TlsOriginationResult(
    TlsOriginationPolicy? Policy, string? Reason, string? Message, IReadOnlyList<Problem> CaRefProblems, int UsableCaRefs)
{
    public static TlsOriginationResult Usable(TlsOriginationPolicy policy, int usableCaRefs = 0) => new(policy, null, null, [], usableCaRefs);
}
