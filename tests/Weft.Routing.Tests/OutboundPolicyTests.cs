using Weft.Api.Model;
using Weft.Routing.Policy;
using static Weft.Routing.Tests.Authorization.Authz;

namespace Weft.Routing.Tests;

/// <summary>Issue 17's outbound policy: which of allow-any and registry-only a client's sidecar applies outside the mesh, and where it is set.</summary>
public sealed class OutboundPolicyTests
{
    [Fact]
    public void Outbound_policy_comes_from_the_pod_then_its_namespace_then_the_mesh_and_says_where()
    {
        var world = World();
        world = world with
        {
            Namespaces = [.. world.Namespaces.Select(n => n.Name == Shop ? With(n, labels: (OutboundPolicies.Key, OutboundPolicies.AllowAny)) : n)],
            Pods = [.. world.Pods.Select(p => p.Name == "web-1" ? With(p, labels: (OutboundPolicies.Key, OutboundPolicies.RegistryOnly)) : p)],
        };
        var model = MeshModel.Build(world, defaultOutboundPolicy: "Registry-Only");

        Assert.Equal(OutboundPolicies.RegistryOnly, model.DefaultOutboundPolicy);
        AssertPolicy(OutboundPolicies.RegistryOnly, "pod shop/web-1 label weft.dev/outbound-policy", model.Outside(Shop, "shop/web-1"));
        AssertPolicy(OutboundPolicies.AllowAny, "namespace shop label weft.dev/outbound-policy", model.Outside(Shop, "shop/cart-1"));
        AssertPolicy(OutboundPolicies.RegistryOnly, "the mesh default (--default-outbound-policy)", model.Outside(Ops, "ops/probe-1"));
    }

    [Fact]
    public void An_annotation_wins_over_a_label_and_an_unknown_value_is_skipped()
    {
        var world = World();
        world = world with
        {
            Namespaces = [.. world.Namespaces.Select(n => n.Name == Shop ? With(n, annotations: (OutboundPolicies.Key, " ALLOW-any "), labels: (OutboundPolicies.Key, "registry-only")) : n)],
            Pods =
            [
                .. world.Pods.Select(p => p.Name switch
                {
                    "web-1" => With(p, annotations: (OutboundPolicies.Key, "registry-only"), labels: (OutboundPolicies.Key, "allow-any")),
                    "cart-1" => With(p, annotations: (OutboundPolicies.Key, "deny-all")),
                    _ => p,
                }),
            ],
        };
        var model = MeshModel.Build(world, defaultOutboundPolicy: OutboundPolicies.RegistryOnly);

        AssertPolicy(OutboundPolicies.RegistryOnly, "pod shop/web-1 annotation weft.dev/outbound-policy", model.Outside(Shop, "shop/web-1"));
        AssertPolicy(OutboundPolicies.AllowAny, "namespace shop annotation weft.dev/outbound-policy", model.Outside(Shop, "shop/cart-1"));
    }

    [Fact]
    public void A_pod_may_tighten_its_namespace_s_policy_but_never_widen_it()
    {
        var world = World();
        world = world with
        {
            Namespaces = [.. world.Namespaces.Select(n => n.Name == Shop ? With(n, annotations: (OutboundPolicies.Key, OutboundPolicies.RegistryOnly)) : n)],
            Pods =
            [
                .. world.Pods.Select(p => p.Name switch
                {
                    "web-1" => With(p, annotations: (OutboundPolicies.Key, OutboundPolicies.AllowAny)),
                    "probe-1" => With(p, labels: (OutboundPolicies.Key, OutboundPolicies.AllowAny)),
                    _ => p,
                }),
            ],
        };
        var model = MeshModel.Build(world, defaultOutboundPolicy: OutboundPolicies.RegistryOnly);

        AssertPolicy(OutboundPolicies.RegistryOnly, "namespace shop annotation weft.dev/outbound-policy", model.Outside(Shop, "shop/web-1"));
        AssertPolicy(OutboundPolicies.RegistryOnly, "the mesh default (--default-outbound-policy)", model.Outside(Ops, "ops/probe-1"));
    }

    [Fact]
    public void A_pod_s_allow_any_annotation_does_not_hide_its_registry_only_label()
    {
        var world = World();
        world = world with
        {
            Pods = [.. world.Pods.Select(p => p.Name == "web-1" ? With(p, annotations: (OutboundPolicies.Key, OutboundPolicies.AllowAny), labels: (OutboundPolicies.Key, OutboundPolicies.RegistryOnly)) : p)],
        };

        AssertPolicy(OutboundPolicies.RegistryOnly, "pod shop/web-1 label weft.dev/outbound-policy", MeshModel.Build(world).Outside(Shop, "shop/web-1"));
    }

    [Fact]
    public void A_client_the_model_does_not_know_gets_its_namespace_s_policy_never_another_pod_s()
    {
        var world = World();
        world = world with
        {
            Namespaces = [.. world.Namespaces.Select(n => n.Name == Shop ? With(n, annotations: (OutboundPolicies.Key, OutboundPolicies.RegistryOnly)) : n)],
            Pods = [.. world.Pods.Select(p => p.Name == "probe-1" ? With(p, annotations: (OutboundPolicies.Key, OutboundPolicies.AllowAny)) : p)],
        };
        var model = MeshModel.Build(world);

        AssertPolicy(OutboundPolicies.RegistryOnly, "namespace shop annotation weft.dev/outbound-policy", model.Outside(Shop, "shop/new-pod"));
        AssertPolicy(OutboundPolicies.RegistryOnly, "namespace shop annotation weft.dev/outbound-policy", model.Outside(Shop, "ops/probe-1"));
        AssertPolicy(OutboundPolicies.AllowAny, "the mesh default (--default-outbound-policy)", model.Outside("elsewhere", "elsewhere/x"));
    }

    [Fact]
    public void The_default_is_allow_any_and_an_unknown_mesh_default_is_refused()
    {
        Assert.Equal(OutboundPolicies.AllowAny, MeshModel.Build(World()).DefaultOutboundPolicy);
        var e = Assert.Throws<ArgumentException>(() => MeshModel.Build(World(), defaultOutboundPolicy: "deny"));
        Assert.Contains("allow-any, registry-only", e.Message);
    }

    [Fact]
    public void The_policy_survives_its_json_form_without_derived_fields()
    {
        var policy = new OutsidePolicy { Mode = OutboundPolicies.RegistryOnly, Source = "namespace shop annotation weft.dev/outbound-policy" };

        var json = System.Text.Encoding.UTF8.GetString(PolicyJson.Serialize(policy));

        Assert.Equal("""{"mode":"registry-only","source":"namespace shop annotation weft.dev/outbound-policy"}""", json);
        Assert.Equal(policy, PolicyJson.DeserializeOutside(System.Text.Encoding.UTF8.GetBytes(json)));
    }

    private static void AssertPolicy(string mode, string source, OutsidePolicy actual) => Assert.Equal((mode, source), (actual.Mode, actual.Source));

    private static T With<T>(T obj, (string Key, string Value)? annotations = null, (string Key, string Value)? labels = null)
        where T : KubeObject => (T)(((KubeObject)obj) with
        {
            Metadata = obj.Metadata with
            {
                Annotations = annotations is { } a ? new Dictionary<string, string> { [a.Key] = a.Value } : obj.Metadata.Annotations,
                Labels = labels is { } l ? new Dictionary<string, string>(obj.Metadata.Labels) { [l.Key] = l.Value } : obj.Metadata.Labels,
            },
        });
}

/// <summary>Issue 17 (7b): the external hosts a namespace's XBackends declare are in the registry for that namespace's clients.</summary>
public sealed class DeclaredExternalHostTests
{
    [Fact]
    public void An_XBackend_declares_its_host_and_port_for_clients_of_its_namespace_only()
    {
        var model = MeshModel.Build(K.Base() with { XBackends = [BackendObjects.ExternalApi(tls: BackendObjects.Validated("api.example.test", "ca"))], ConfigMaps = [BackendObjects.Ca()] });

        var policy = model.Compile(K.Mesh, "API.example.test.", 8443);

        Assert.NotNull(policy);
        Assert.Equal((PolicyView.None, PolicyProtocol.Opaque, 0), (policy.View, policy.Protocol, policy.Rules.Count));
        Assert.Equal(("api.example.test", 8443), (policy.DefaultBackend!.External!.Hostname, policy.DefaultBackend.External.Port));
        Assert.Equal("api.example.test", policy.DefaultBackend.External.Tls!.ServerName);
        Assert.Null(model.Compile(K.Mesh, "api.example.test", 443)); // another port is not declared
        Assert.Null(model.Compile("team-a", "api.example.test", 8443)); // another namespace's XBackend is not
    }

    [Fact]
    public void Of_two_XBackends_declaring_one_host_the_older_wins()
    {
        var older = BackendObjects.ExternalApi() with { Metadata = K.Meta(K.Mesh, "older", created: DateTimeOffset.UnixEpoch) };
        var newer = BackendObjects.ExternalApi() with { Metadata = K.Meta(K.Mesh, "newer", created: DateTimeOffset.UnixEpoch.AddMinutes(1)) };

        var policy = MeshModel.Build(K.Base() with { XBackends = [newer, older] }).Compile(K.Mesh, "api.example.test", 8443);

        Assert.Equal("older", policy!.DefaultBackend!.Name);
    }

    [Fact]
    public void A_declared_host_Weft_cannot_honour_is_answered_500_with_the_reason()
    {
        var clientCerts = BackendObjects.ExternalApi(tls: new XBackendTls { Mode = XBackendTlsMode.ClientAndServer });

        var policy = MeshModel.Build(K.Base() with { XBackends = [clientCerts] }).Compile(K.Mesh, "api.example.test", 8443);

        Assert.Equal(RouteConditions.UnsupportedValue, policy!.DefaultBackend!.Invalid);
        Assert.Null(policy.DefaultBackend.External);
    }
}
