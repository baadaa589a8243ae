namespace Weft.Proxy.Security;

/// <summary>What the inbound listener accepts (label or annotation <c>weft.dev/mtls</c>).</summary>
public enum MtlsMode
{
    /// <summary>Only mTLS from mesh sidecars; a plaintext connection is closed without an answer (the default).</summary>
    Strict,

    /// <summary>mTLS from sidecars, and plaintext from clients outside the mesh (told apart by the first byte).</summary>
    Permissive,
}
