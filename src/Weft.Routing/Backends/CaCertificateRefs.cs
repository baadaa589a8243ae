using Weft.Api.Model;

namespace Weft.Routing.Backends;

/// <summary>
/// The CA references of TLS origination (GEP-1897): <c>caCertificateRefs</c> of an XBackend's <c>tls.validation</c> or a
/// BackendTLSPolicy's <c>validation</c>. Weft reads CA bundles from ConfigMaps of the referring object's namespace only;
/// the model reads them (<c>TlsOrigination</c>), and Kubernetes mode watches exactly the ones named here.
/// </summary>
public static class CaCertificateRefs
{
    /// <summary>Whether <paramref name="reference"/> names a ConfigMap (core group), the one kind a CA bundle is read from.</summary>
    public static bool IsConfigMap(LocalObjectReference reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        return reference is { Group: "", Kind: "ConfigMap" };
    }

    /// <summary>The kinds of the objects whose CA references <see cref="ConfigMapsNamedBy"/> reads: no other object names a ConfigMap.</summary>
    public static IReadOnlySet<string> Kinds { get; } = new HashSet<string>(StringComparer.Ordinal) { XBackend.KindName, BackendTlsPolicy.KindName };

    /// <summary>The ConfigMaps that <paramref name="objects"/>' CA references name, as <c>(namespace, name)</c>.</summary>
    public static IReadOnlySet<(string Namespace, string Name)> ConfigMapsNamedBy(IEnumerable<KubeObject> objects)
    {
        ArgumentNullException.ThrowIfNull(objects);
        var named = new HashSet<(string, string)>();
        foreach (var obj in objects)
        {
            var validation = obj switch
            {
                XBackend x => x.Spec.Tls?.Validation,
                BackendTlsPolicy p => p.Spec.Validation,
                _ => null,
            };
            foreach (var r in validation?.CaCertificateRefs ?? [])
            {
                if (IsConfigMap(r) && r.Name.Length > 0)
                {
                    named.Add((obj.Namespace, r.Name));
                }
            }
        }

        return named;
    }
}
