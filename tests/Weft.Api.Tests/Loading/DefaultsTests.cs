using Weft.Api.Model;

namespace Weft.Api.Tests.Loading;

/// <summary>The defaults the API server applies (CRD defaults and core defaulting), applied at load time.</summary>
public sealed class DefaultsTests
{
    [Fact]
    public void Namespaced_object_without_namespace_gets_default()
    {
        var sa = Manifests.LoadOne<ServiceAccount>("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: app\n");

        Assert.Equal("default", sa.Namespace);
        Assert.Equal(1, sa.Metadata.Generation);
    }

    [Fact]
    public void HTTPRoute_without_rules_gets_one_rule_matching_PathPrefix_slash()
    {
        var route = Manifests.LoadOne<HttpRoute>(Manifests.HttpRoute(""));

        var rule = Assert.Single(route.Spec.Rules);
        var match = Assert.Single(rule.Matches);
        Assert.Equal(new HttpPathMatch { Type = "PathPrefix", Value = "/" }, match.Path);
    }

    [Fact]
    public void Rule_without_matches_and_match_without_path_default_to_PathPrefix_slash()
    {
        var route = Manifests.LoadOne<HttpRoute>(Manifests.HttpRoute("""
              rules:
              - backendRefs:
                - name: echo-v1
                  port: 8080
              - matches:
                - headers:
                  - name: version
                    value: one
                - path:
                    value: /v2
                - path:
                    type: Exact
                backendRefs:
                - name: echo-v2
                  port: 8080
            """));

        Assert.Equal(new HttpPathMatch(), Assert.Single(route.Spec.Rules[0].Matches).Path);
        var matches = route.Spec.Rules[1].Matches;
        Assert.Equal(new HttpPathMatch { Type = "PathPrefix", Value = "/" }, matches[0].Path);
        Assert.Equal("Exact", matches[0].Headers[0].Type);
        Assert.Equal(new HttpPathMatch { Type = "PathPrefix", Value = "/v2" }, matches[1].Path);
        Assert.Equal(new HttpPathMatch { Type = "Exact", Value = "/" }, matches[2].Path);
    }

    [Fact]
    public void ParentRef_defaults_to_Gateway_and_BackendRef_to_core_Service_weight_1()
    {
        var route = Manifests.LoadOne<HttpRoute>("""
            apiVersion: gateway.networking.k8s.io/v1beta1
            kind: HTTPRoute
            metadata:
              name: r
            spec:
              parentRefs:
              - name: gw
              - group: core
                kind: Service
                name: echo
              rules:
              - backendRefs:
                - name: echo-v1
                  port: 80
            """);

        Assert.Equal("default", route.Namespace);
        Assert.Equal(("gateway.networking.k8s.io", "Gateway"), (route.ParentRefs[0].Group, route.ParentRefs[0].Kind));
        Assert.Equal("core", route.ParentRefs[1].Group); // kept as written; Routing decides (gamma-spec A1)
        var backend = route.Spec.Rules[0].BackendRefs[0];
        Assert.Equal(("", "Service", 1), (backend.Group, backend.Kind, backend.Weight));
    }

    [Fact]
    public void Query_param_match_type_Exact_redirect_302_and_CORS_maxAge_5()
    {
        var route = Manifests.LoadOne<HttpRoute>(Manifests.HttpRoute("""
              rules:
              - matches:
                - queryParams:
                  - name: animal
                    value: whale
                filters:
                - type: RequestRedirect
                  requestRedirect:
                    hostname: example.org
              - filters:
                - type: CORS
                  cors:
                    allowOrigins: ["https://example.com"]
                backendRefs:
                - name: echo-v1
                  port: 8080
            """));

        Assert.Equal("Exact", route.Spec.Rules[0].Matches[0].QueryParams[0].Type);
        Assert.Equal(302, route.Spec.Rules[0].Filters[0].RequestRedirect!.StatusCode);
        Assert.Equal(5, route.Spec.Rules[1].Filters[0].Cors!.MaxAge);
    }

    [Fact]
    public void Service_defaults_ClusterIP_TCP_and_targetPort_equal_to_port()
    {
        var service = Manifests.LoadOne<Service>("apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  ports:\n  - port: 8080\n");

        Assert.Equal("ClusterIP", service.Spec.Type);
        Assert.Equal("TCP", service.Spec.Ports[0].Protocol);
        Assert.Equal(IntOrString.Of(8080), service.Spec.Ports[0].TargetPort);
    }

    [Fact]
    public void Deployment_defaults_one_replica_and_service_account_default()
    {
        var deployment = Manifests.LoadOne<Deployment>("""
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: d
            spec:
              selector:
                matchLabels: {app: d}
              template:
                metadata:
                  labels: {app: d}
                spec:
                  containers:
                  - name: app
                    image: echo
            """);

        Assert.Equal(1, deployment.Replicas);
        Assert.Equal("default", deployment.Template.Spec.ServiceAccountName);
    }

    [Fact]
    public void XMesh_is_cluster_scoped()
    {
        var mesh = Manifests.LoadOne<XMesh>("""
            apiVersion: gateway.networking.x-k8s.io/v1alpha1
            kind: XMesh
            metadata:
              name: weft
            spec:
              controllerName: example.com/weft
            """);

        Assert.Null(mesh.Metadata.Namespace);
        Assert.Equal("weft", mesh.Key);
    }
}
