using Weft.Api.Model;
using static Weft.Routing.Tests.K;

namespace Weft.Routing.Tests;

/// <summary>Builders for issue 17's objects (XBackends, backend policies, CA ConfigMaps), shaped like the manifests they stand for.</summary>
internal static class BackendObjects
{
    /// <summary>One test CA for the whole run: the ConfigMaps' <c>ca.crt</c>.</summary>
    public static readonly string CaPem = TestCaPem();

    public static ConfigMap Ca(string name = "ca", string ns = Mesh) =>
        new() { ApiVersion = "v1", Metadata = Meta(ns, name), Data = new Dictionary<string, string> { ["ca.crt"] = CaPem } };

    /// <summary>A BackendTLSPolicy on Service <paramref name="service"/> (port <paramref name="section"/>), created at minute <paramref name="minute"/>, validated against ConfigMap <paramref name="configMap"/>.</summary>
    public static BackendTlsPolicy TlsPolicy(string name, string service, int minute, string? section = null, string configMap = "ca") => new()
    {
        ApiVersion = "gateway.networking.k8s.io/v1",
        Metadata = Meta(Mesh, name, created: Minute(minute)),
        Spec = new BackendTlsPolicySpec
        {
            TargetRefs = [new PolicyTargetReference { Group = "", Kind = "Service", Name = service, SectionName = section }],
            Validation = Validation($"{service}.example.test", configMap),
        },
    };

    /// <summary>An XBackendTrafficPolicy on Service <paramref name="service"/>, created at minute <paramref name="minute"/>, with a retry budget.</summary>
    public static XBackendTrafficPolicy TrafficPolicy(string name, string service, int minute, int percent = 20, string interval = "10s", int count = 10, string per = "1s") => new()
    {
        ApiVersion = "gateway.networking.x-k8s.io/v1alpha1",
        Metadata = Meta(Mesh, name, created: Minute(minute)),
        Spec = new XBackendTrafficPolicySpec
        {
            TargetRefs = [new PolicyTargetReference { Group = "", Kind = "Service", Name = service }],
            RetryConstraint = new RetryConstraint
            {
                Budget = new RetryBudget { Percent = percent, Interval = interval },
                MinRetryRate = new RetryRate { Count = count, Interval = per },
            },
        },
    };

    /// <summary>XBackend api: api.example.test on <paramref name="port"/>.</summary>
    public static XBackend ExternalApi(XBackendTls? tls = null, int port = 8443) => new()
    {
        ApiVersion = "gateway.networking.x-k8s.io/v1alpha1",
        Metadata = Meta(Mesh, "api"),
        Spec = new XBackendSpec
        {
            Type = XBackendType.ExternalHostname,
            ExternalHostname = "api.example.test",
            Port = new XBackendPort { Port = port },
            Tls = tls,
        },
    };

    public static XBackendTls Validated(string hostname, string configMap) => new()
    {
        Mode = XBackendTlsMode.ServerOnly,
        Validation = Validation(hostname, configMap),
    };

    public static BackendTlsValidation Validation(string hostname, string configMap) => new()
    {
        Hostname = hostname,
        CaCertificateRefs = [new LocalObjectReference { Group = "", Kind = "ConfigMap", Name = configMap }],
    };

    public static BackendRef ToXBackend(string name, int? port = null, string? ns = null) =>
        new() { Group = GatewayApi.ExperimentalGroup, Kind = XBackend.KindName, Name = name, Namespace = ns, Port = port };

    private static DateTimeOffset Minute(int minute) => new(2025, 1, 1, 0, minute, 0, TimeSpan.Zero);
}
