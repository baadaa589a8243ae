using Weft.Cli.Local.Api;
using Weft.ControlPlane.Kubernetes;

namespace Weft.Kubernetes.Tests;

/// <summary>What <c>weft up --kubeconfig</c> sends: manifests as JSON typed as kubectl types them, to the resource kubectl names.</summary>
public sealed class ManifestJsonTests
{
    [Fact]
    public void Plain_scalars_are_typed_and_quoted_ones_stay_strings()
    {
        var obj = Assert.Single(Weft.Api.ManifestJson.Documents("""
            apiVersion: v1
            kind: Service
            metadata: {name: echo, labels: {version: v1, port: "80"}}
            spec:
              ports: [{port: 80, targetPort: http, appProtocol: ~}]
              publishNotReadyAddresses: true
              ratio: 0.5
            """));

        Assert.Equal("""{"apiVersion":"v1","kind":"Service","metadata":{"name":"echo","labels":{"version":"v1","port":"80"}},"spec":{"ports":[{"port":80,"targetPort":"http","appProtocol":null}],"publishNotReadyAddresses":true,"ratio":0.5}}""", obj.ToJsonString());
    }

    [Fact]
    public void Every_document_of_a_stream_is_an_object_and_empty_ones_are_skipped()
    {
        var objects = Weft.Api.ManifestJson.Documents("---\napiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n");

        Assert.Equal(["a", "b"], objects.Select(KubeResource.NameOf));
    }

    [Theory]
    [InlineData("gateway.networking.k8s.io/v1", "HTTPRoute", "httproutes.gateway.networking.k8s.io", true)]
    [InlineData("gateway.networking.k8s.io/v1", "BackendTLSPolicy", "backendtlspolicies.gateway.networking.k8s.io", true)]
    [InlineData("gateway.networking.x-k8s.io/v1alpha1", "XMesh", "xmeshes.gateway.networking.x-k8s.io", false)]
    [InlineData("gateway.networking.k8s.io/v1", "GatewayClass", "gatewayclasses.gateway.networking.k8s.io", false)]
    [InlineData("v1", "Namespace", "namespaces", false)]
    [InlineData("v1", "ServiceAccount", "serviceaccounts", true)]
    [InlineData("discovery.k8s.io/v1", "EndpointSlice", "endpointslices.discovery.k8s.io", true)]
    public void The_resource_is_the_lower_case_plural_of_the_kind_in_its_group(string apiVersion, string kind, string resource, bool namespaced)
    {
        var of = KubeResource.Of(new System.Text.Json.Nodes.JsonObject { ["apiVersion"] = apiVersion, ["kind"] = kind });

        Assert.NotNull(of);
        Assert.Equal(resource, of.ToString());
        Assert.Equal(namespaced, of.Namespaced);
    }
}
