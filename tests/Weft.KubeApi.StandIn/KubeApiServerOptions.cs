using System.Net;

namespace Weft.KubeApi.StandIn;

/// <summary>How a <see cref="KubeApiServer"/> starts.</summary>
public sealed record KubeApiServerOptions
{
    /// <summary>Serve HTTPS (HTTP/1.1 and HTTP/2) with a certificate from a CA made at start; false serves plain HTTP/1.1.</summary>
    public bool Tls { get; init; } = true;

    /// <summary>
    /// CustomResourceDefinition YAML files, or directories of them (<c>*.yaml</c>, <c>*.yml</c>, in name order), installed
    /// at start in the order given; a later definition of the same CRD replaces an earlier one (so standard then
    /// experimental Gateway API CRDs leave the experimental ones). Documents of any other kind are skipped.
    /// </summary>
    public IReadOnlyList<string> CrdPaths { get; init; } = [];

    /// <summary>
    /// How long a CRD created through the API stays not Established (conditions NamesAccepted True, Established False
    /// "Installing"), its resource not served (404), before the establishing controller's turn; zero (the default): at
    /// once. kube-apiserver takes a moment, and a client that creates a CRD and then its objects must wait for
    /// Established, as <c>kubectl wait --for condition=established</c> does.
    /// </summary>
    public TimeSpan CrdEstablishingDelay { get; init; }

    /// <summary>
    /// How long a CRD deleted through the API stays Terminating after its custom resources are deleted (the finalizer
    /// <c>customresourcecleanup.apiextensions.k8s.io</c> on it, <c>deletionTimestamp</c> set, Established still True, a
    /// condition Terminating True, creates of its kind refused with 405), before the finalizer is removed and it goes;
    /// zero (the default): it goes at once. kube-apiserver's finalizer controller takes that moment.
    /// </summary>
    public TimeSpan CrdTerminatingDelay { get; init; }

    /// <summary>How often a watch with <c>allowWatchBookmarks=true</c> gets a BOOKMARK event.</summary>
    public TimeSpan BookmarkInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The range a Service's <c>spec.clusterIP</c> is allocated from when it has none (IPv4 only).</summary>
    public string ServiceCidr { get; init; } = "10.96.0.0/16";

    /// <summary>
    /// Where a mutating webhook's <c>clientConfig.service</c> is reached, as there is no cluster network: keyed
    /// <c>"NAMESPACE/NAME:PORT"</c> (port 443 when the service gives none), e.g. <c>["weft-system/weft-injector:443"] =
    /// new IPEndPoint(IPAddress.Loopback, 54321)</c>. The TLS name checked is still <c>NAME.NAMESPACE.svc</c>. A service with
    /// no entry has no endpoints: the call fails as kube-apiserver's does when a webhook's service is unreachable.
    /// </summary>
    public IReadOnlyDictionary<string, IPEndPoint> WebhookServiceAddresses { get; init; } = new Dictionary<string, IPEndPoint>();

    /// <summary>The clock for timestamps and token lifetimes.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
