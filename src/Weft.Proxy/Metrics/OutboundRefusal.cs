namespace Weft.Proxy.Metrics;

/// <summary>Why a sidecar refused traffic for a destination outside the mesh (<c>weft_outbound_refused_total</c>'s reason).</summary>
public enum OutboundRefusal
{
    /// <summary>The client's outbound policy is registry-only.</summary>
    RegistryOnly = 0,

    /// <summary>The destination is the sidecar's own listener or the control plane, whatever the policy.</summary>
    OffLimits = 1,
}
