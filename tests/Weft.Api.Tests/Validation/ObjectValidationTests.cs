using static Weft.Api.Tests.Manifests;

namespace Weft.Api.Tests.Validation;

/// <summary>ReferenceGrant (gamma-spec F7), XMesh (M), and the core objects' basic validity.</summary>
public sealed class ObjectValidationTests
{
    private static string Grant(string spec) => $"apiVersion: gateway.networking.k8s.io/v1beta1\nkind: ReferenceGrant\nmetadata:\n  name: g\n  namespace: ns\nspec:\n{spec}";

    private static string Mesh(string spec) => $"apiVersion: gateway.networking.x-k8s.io/v1alpha1\nkind: XMesh\nmetadata:\n  name: weft\nspec:\n{spec}";

    private static string Service(string spec, string name = "echo") => $"apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\nspec:\n{spec}";

    [Fact]
    public void ReferenceGrant_needs_1_to_16_from_and_to()
    {
        AssertRejected(Grant("  from: []\n  to: [{group: \"\", kind: Service}]"), "spec.from", "should have at least 1 items");
        var many = string.Join(", ", Enumerable.Range(0, 17).Select(i => $"{{group: \"\", kind: Service, name: s{i}}}"));
        AssertRejected(Grant($"  from: [{{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: a}}]\n  to: [{many}]"), "spec.to", "Too many: 17");
    }

    [Fact]
    public void ReferenceGrant_from_needs_group_kind_and_namespace()
    {
        AssertRejected(Grant("  from: [{kind: HTTPRoute, namespace: a}]\n  to: [{group: \"\", kind: Service}]"), "spec.from[0].group", "Required value");
        AssertRejected(Grant("  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: A_B}]\n  to: [{group: \"\", kind: Service}]"), "spec.from[0].namespace", "should match");
    }

    [Fact]
    public void ReferenceGrant_valid_loads()
    {
        var grant = LoadOne<Weft.Api.Model.ReferenceGrant>(Grant("  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: a}]\n  to: [{group: \"\", kind: Service}]"));
        Assert.Equal("", grant.To[0].Group);
        Assert.Null(grant.To[0].Name);
    }

    [Fact]
    public void XMesh_controllerName_must_be_a_domain_prefixed_path()
    {
        AssertRejected(Mesh("  controllerName: weft"), "spec.controllerName", "should match");
    }

    [Fact]
    public void XMesh_controllerName_is_required_and_description_at_most_64()
    {
        AssertRejected(Mesh("  description: x"), "spec.controllerName", "Required value");
        AssertRejected(Mesh($"  controllerName: example.com/weft\n  description: {new string('d', 65)}"), "spec.description", "Too long: may not be more than 64 bytes");
    }

    [Fact]
    public void Service_port_is_1_to_65535()
    {
        AssertRejected(Service("  ports:\n  - port: 70000"), "spec.ports[0].port", "must be between 1 and 65535, inclusive");
    }

    [Fact]
    public void Service_ports_need_names_when_more_than_one_and_names_are_unique()
    {
        AssertRejected(Service("  ports:\n  - port: 80\n  - port: 81"), "spec.ports[0].name", "Required value");
        AssertRejected(Service("  ports:\n  - {name: http, port: 80}\n  - {name: http, port: 81}"), "spec.ports[1].name", "Duplicate value: \"http\"");
    }

    [Fact]
    public void Service_name_is_an_RFC1035_label()
    {
        AssertRejected(Service("  ports:\n  - port: 80", name: "1echo"), "metadata.name", "DNS-1035 label");
    }

    [Fact]
    public void Service_protocol_type_and_targetPort_are_checked()
    {
        AssertRejected(Service("  ports:\n  - {port: 80, protocol: HTTP}"), "spec.ports[0].protocol", "Unsupported value: \"HTTP\"");
        AssertRejected(Service("  type: Internal\n  ports:\n  - port: 80"), "spec.type", "Unsupported value");
        AssertRejected(Service("  ports:\n  - {port: 80, targetPort: Not_A_Name}"), "spec.ports[0].targetPort", "port name");
        AssertRejected(Service("  ports:\n  - {port: 80, targetPort: 0}"), "spec.ports[0].targetPort", "between 1 and 65535");
    }

    [Fact]
    public void Service_without_ports_is_rejected_unless_headless_or_ExternalName()
    {
        AssertRejected(Service("  selector: {app: a}"), "spec.ports", "Required value");
        LoadOne<Weft.Api.Model.Service>(Service("  clusterIP: None"));
        AssertRejected(Service("  type: ExternalName"), "spec.externalName", "Required value");
    }

    [Fact]
    public void Object_name_must_be_an_RFC1123_subdomain()
    {
        AssertRejected("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: Bad_Name\n", "metadata.name", "RFC 1123 subdomain");
        AssertRejected("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: ok\n  namespace: Bad.NS\n", "metadata.namespace", "RFC 1123 label");
    }

    [Fact]
    public void Metadata_name_is_required()
    {
        AssertRejected("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  labels: {a: b}\n", "metadata.name", "Required value");
    }

    [Fact]
    public void Deployment_selector_must_match_template_labels()
    {
        var yaml = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  selector:\n    matchLabels: {app: a}\n  template:\n    metadata:\n      labels: {app: b}\n    spec:\n      containers: [{name: c, image: i}]\n";
        AssertRejected(yaml, "spec.template.metadata.labels", "`selector` does not match template `labels`");
    }

    [Fact]
    public void Deployment_needs_containers_with_names_images_and_valid_ports()
    {
        const string head = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  replicas: -1\n  selector:\n    matchLabels: {app: a}\n  template:\n    metadata:\n      labels: {app: a}\n    spec:\n";
        AssertRejected(head + "      containers: []\n", "spec.template.spec.containers", "Required value");
        AssertRejected(head + "      containers: [{name: c, image: i}]\n", "spec.replicas", "greater than or equal to 0");
        AssertRejected(head + "      containers: [{name: c, ports: [{containerPort: 0}]}]\n", "spec.template.spec.containers[0].image", "Required value");
        AssertRejected(head + "      containers: [{name: c, image: i, ports: [{containerPort: 0}]}]\n", "spec.template.spec.containers[0].ports[0].containerPort", "between 1 and 65535");
    }

    /// <summary>
    /// PodSpec's terminationGracePeriodSeconds (an int64, 30 when unset, as the API server defaults it) must be at least 0,
    /// in a Deployment's template as in a Pod; 0 (kill at once) is allowed.
    /// </summary>
    [Fact]
    public void A_negative_termination_grace_period_is_taken_as_1_s_and_one_beyond_a_timer_as_the_longest_a_timer_waits()
    {
        const string deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  selector:\n    matchLabels: {app: a}\n  template:\n    metadata:\n      labels: {app: a}\n    spec:\n      containers: [{name: c, image: i}]\n";
        const string pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers: [{name: c, image: i}]\n";
        // The API server accepts a negative one with a warning ("will be treated as 1"), and any int64.
        Assert.Equal(TimeSpan.FromSeconds(1), LoadOne<Weft.Api.Model.Deployment>(deployment + "      terminationGracePeriodSeconds: -1\n").Template.Spec.TerminationGracePeriod);
        Assert.Equal(TimeSpan.FromSeconds(1), LoadOne<Weft.Api.Model.Pod>(pod + "  terminationGracePeriodSeconds: -5\n").Spec.TerminationGracePeriod);
        Assert.Equal(Weft.Api.Model.PodSpec.MaxGracePeriod, LoadOne<Weft.Api.Model.Pod>(pod + "  terminationGracePeriodSeconds: 9223372036854775807\n").Spec.TerminationGracePeriod);
        Assert.Equal(TimeSpan.FromSeconds(4_294_967), Weft.Api.Model.PodSpec.GracePeriod(4_294_967));
        Assert.Equal(Weft.Api.Model.PodSpec.MaxGracePeriod, Weft.Api.Model.PodSpec.GracePeriod(4_294_968));
        AssertRejected(pod + "  terminationGracePeriodSeconds: soon\n", "spec.terminationGracePeriodSeconds", "integer");

        Assert.Equal(TimeSpan.Zero, LoadOne<Weft.Api.Model.Deployment>(deployment + "      terminationGracePeriodSeconds: 0\n").Template.Spec.TerminationGracePeriod);
        Assert.Equal(TimeSpan.FromSeconds(8), LoadOne<Weft.Api.Model.Pod>(pod + "  terminationGracePeriodSeconds: 8\n").Spec.TerminationGracePeriod);
        Assert.Equal(TimeSpan.FromSeconds(30), LoadOne<Weft.Api.Model.Deployment>(deployment).Template.Spec.TerminationGracePeriod);
    }

    [Fact]
    public void EndpointSlice_addresses_match_the_address_type()
    {
        var yaml = "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: s\n  labels: {kubernetes.io/service-name: echo}\naddressType: IPv4\nendpoints:\n- addresses: [\"::1\"]\nports:\n- {name: http, port: 8080}\n";
        AssertRejected(yaml, "endpoints[0].addresses[0]", "must be a valid IPv4 address");
        var slice = LoadOne<Weft.Api.Model.EndpointSlice>(yaml.Replace("::1", "10.0.0.1", StringComparison.Ordinal));
        Assert.Equal("echo", slice.ServiceName);
    }

    [Fact]
    public void Pod_needs_containers()
    {
        AssertRejected("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers: []\n", "spec.containers", "Required value");
    }
}
