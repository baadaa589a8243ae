using Weft.Api.Model;
using Weft.Routing.Authorization;
using static Weft.Routing.Tests.Authorization.Authz;
using static Weft.Routing.Tests.K;

namespace Weft.Routing.Tests;

/// <summary>
/// A seeded chain of random updates (routes, endpoints, Services, pods created, changed and deleted, an
/// AuthorizationPolicy, namespace annotations), each model made by MeshModel.Update from the one before: after every step,
/// every destination policy, route status, inbound and outbound policy and AuthorizationPolicy status is what
/// MeshModel.Build of the same snapshot gives. Pods share addresses from a small pool, so two pods may hold one; Services
/// their cluster IPs, so two Services may claim one (the first in the list has it), and a Service may be headless or
/// ExternalName, or not exist while routes name it.
/// </summary>
public class UpdateChainTests
{
    private const int Steps = 200;
    private const string Edge = "edge";

    private static readonly string[] Namespaces = [Shop, Ops, Edge];
    private static readonly string[] Apps = ["a", "b", "c", "d", "client"];
    private static readonly string[] Paths = ["/", "/x", "/y", "/x/z"];

    // (namespace, Service): the Services a route may attach to or send to; e exists only once a step creates it.
    private static readonly (string Ns, string Name)[] ServiceNames = [(Shop, "a"), (Shop, "b"), (Shop, "c"), (Ops, "d"), (Shop, "e")];

    // The cluster IPs a created or edited Service may take: some already held, one free, and None (headless).
    private static readonly string[] ClusterIPs = ["10.96.1.1", "10.96.1.2", "10.96.1.5", "10.96.2.1", "None"];

    private static readonly string[] Hosts =
    [
        "a", "a.shop.svc.cluster.local", "b.shop.svc.cluster.local", "c.shop.svc.cluster.local", "d.ops.svc.cluster.local",
        "10.96.1.1", "10.1.0.1", "10.1.0.2", "10.1.0.3", "10.1.0.5", "10.1.1.1",
        "e", "e.shop.svc.cluster.local", "d.ops", "10.96.1.2", "10.96.1.5", "10.96.2.1",
    ];

    // The addresses a pod may take (or none, a pod not yet scheduled): few, so that pods come to share one.
    private static readonly string[] PodAddresses = ["10.1.0.1", "10.1.0.2", "10.1.0.3", "10.1.0.4", "10.1.0.5", "10.1.1.1", "10.1.2.1", ""];

    private static readonly int[] DestinationPorts = [80, 8080, 9090];

    private static readonly EndpointPort[] SlicePorts = [new() { Name = "http", Port = 8080 }, new() { Name = "http-alt", Port = 8080 }];

    private static ServicePort[] DefaultPorts() => [Port(80, "http", 8080, app: "http"), Port(8080, "http-alt", 8080, app: "http")];

    /// <summary>The ports a Service may come to have; the last has a named targetPort no slice port names, found in the pod's containers.</summary>
    private static ServicePort[][] PortChoices() =>
    [
        DefaultPorts(),
        [Port(80, "http", 8080, app: "http")],
        [Port(80, "http", 9090, app: "http"), Port(8080, "http-alt", 8080)],
        [Port(8080, "http-alt", 8080, app: "http")],
        [Port(80, "http", 8080, app: "http"), Port(9090, "web", targetName: "web")],
    ];

    private static MeshSnapshot Start()
    {
        Pod P(string ns, string name, string ip, string app) => Authorization.Authz.Pod(ns, name, ip, app, [("app", app)]);
        return new MeshSnapshot
        {
            Namespaces = [.. Namespaces.Select(n => new Namespace { ApiVersion = "v1", Metadata = new ObjectMeta { Name = n } })],
            Services =
            [
                Authorization.Authz.Svc(Shop, "a", "10.96.1.1", [("app", "a")], DefaultPorts()),
                Authorization.Authz.Svc(Shop, "b", "10.96.1.2", [("app", "b")], DefaultPorts()),
                Authorization.Authz.Svc(Shop, "c", "10.96.1.3", [("app", "c")], DefaultPorts()),
                Authorization.Authz.Svc(Ops, "d", "10.96.2.1", [("app", "d")], DefaultPorts()),
            ],
            Pods =
            [
                P(Shop, "a-1", "10.1.0.1", "a"), P(Shop, "a-2", "10.1.0.2", "a"), P(Shop, "b-1", "10.1.0.3", "b"),
                P(Shop, "c-1", "10.1.0.4", "c"), P(Ops, "d-1", "10.1.1.1", "d"), P(Edge, "client-1", "10.1.2.1", "client"),
            ],
            EndpointSlices =
            [
                Slice(Shop, "a", SlicePorts, Ep("10.1.0.1", "a-1"), Ep("10.1.0.2", "a-2")),
                Slice(Shop, "b", SlicePorts, Ep("10.1.0.3", "b-1")),
                Slice(Shop, "c", SlicePorts, Ep("10.1.0.4", "c-1")),
                Slice(Ops, "d", SlicePorts, Ep("10.1.1.1", "d-1")),
            ],
            Routes =
            [
                Http(Shop, "r0", Parent("a", port: 80), K.Rule(Prefix("/x"), Backend("b", 80))),
                Http(Edge, "r1", Parent("a", ns: Shop, port: 80), K.Rule(Prefix("/y"), Backend("c", 80, ns: Shop))),
                Http(Ops, "r2", Parent("d"), K.Rule(Prefix("/"), Backend("d", 80))),
            ],
            AuthorizationPolicies = [Allow("p", Pods(("app", "a")), Authorization.Authz.Rule([Sa(Edge, "client")]))],
        };
    }

    /// <param name="random">The chain's draws.</param>
    /// <param name="everyNamespace">
    /// Whether an AuthorizationPolicy change edits, creates or deletes one of two policies in any namespace, instead of
    /// replacing shop's one policy (draws of their own, so that the seeds without it replay the chains they were added for).
    /// </param>
    private sealed class Stepper(Random random, bool everyNamespace = false)
    {
        private T Pick<T>(IReadOnlyList<T> items) => items[random.Next(items.Count)];

        private static T[] Replace<T>(IReadOnlyList<T> items, int at, T item) => [.. items.Select((x, i) => i == at ? item : x)];

        private HttpRoute RandomRoute(string ns, string name)
        {
            var (parentNs, parent) = Pick(ServiceNames);
            var rules = Enumerable.Range(0, random.Next(1, 3)).Select(_ =>
            {
                var (backendNs, backend) = Pick(ServiceNames);
                return K.Rule(Prefix(Pick(Paths)), Backend(backend, Pick(DestinationPorts), ns: backendNs == ns ? null : backendNs));
            }).ToArray();
            return Http(ns, name, Parent(parent, ns: parentNs == ns ? null : parentNs, port: random.Next(3) == 0 ? null : Pick(DestinationPorts)), rules);
        }

        /// <summary>One change to <paramref name="s"/>, described.</summary>
        public (MeshSnapshot, string) Change(MeshSnapshot s)
        {
            switch (random.Next(15))
            {
                case 14 when s.Services.Count > 1:
                    {
                        // The store keeps its objects' order; a Service deleted and created again comes back elsewhere.
                        var (i, j) = (random.Next(s.Services.Count), random.Next(s.Services.Count));
                        var list = s.Services.ToArray();
                        (list[i], list[j]) = (list[j], list[i]);
                        return (s with { Services = list }, $"swap Services {list[i].Key} and {list[j].Key}");
                    }
                case 11 when s.Services.Count > 0:
                    {
                        var i = random.Next(s.Services.Count);
                        return (s with { Services = [.. s.Services.Where((_, j) => j != i)] }, $"delete Service {s.Services[i].Namespace}/{s.Services[i].Name}");
                    }
                case 12:
                    {
                        var (ns, name) = Pick(ServiceNames);
                        if (s.Services.Any(x => x.Namespace == ns && x.Name == name))
                        {
                            return (s, "add Service (exists)");
                        }

                        var ip = Pick(ClusterIPs);
                        var svc = Authorization.Authz.Svc(ns, name, ip, [("app", Pick(Apps))], Pick(PortChoices()));
                        var at = random.Next(s.Services.Count + 1); // anywhere in the list, as the store keeps its order
                        return (s with { Services = [.. s.Services.Take(at), svc, .. s.Services.Skip(at)] }, $"add Service {ns}/{name} at {ip}, place {at}");
                    }
                case 13 when s.Services.Count > 0:
                    {
                        var i = random.Next(s.Services.Count);
                        var svc = s.Services[i];
                        var ip = Pick(ClusterIPs);
                        var changed = random.Next(4) switch
                        {
                            0 => svc with { Spec = svc.Spec with { Type = "ExternalName", ExternalName = "example.com", ClusterIP = "", ClusterIPs = [] } },
                            1 => svc with { Spec = svc.Spec with { Type = "ClusterIP" } },
                            _ => svc with { Spec = svc.Spec with { ClusterIP = ip, ClusterIPs = [ip] } },
                        };
                        return (s with { Services = Replace(s.Services, i, changed) }, $"readdress Service {svc.Namespace}/{svc.Name} ({changed.Spec.Type} {changed.Spec.ClusterIP})");
                    }
                case 0 when s.Routes.Count > 0:
                    {
                        var i = random.Next(s.Routes.Count);
                        var r = s.Routes[i];
                        return (s with { Routes = Replace(s.Routes, i, (Route)RandomRoute(r.Namespace, r.Name)) }, $"edit route {r.Namespace}/{r.Name}");
                    }
                case 1:
                    {
                        var route = RandomRoute(Pick(Namespaces), $"r{random.Next(8)}");
                        return s.Routes.Any(r => r.Namespace == route.Namespace && r.Name == route.Name)
                            ? (s, "add route (exists)")
                            : (s with { Routes = [.. s.Routes, route] }, $"add route {route.Namespace}/{route.Name}");
                    }
                case 2 when s.Routes.Count > 0:
                    {
                        var i = random.Next(s.Routes.Count);
                        return (s with { Routes = [.. s.Routes.Where((_, j) => j != i)] }, $"delete route {s.Routes[i].Namespace}/{s.Routes[i].Name}");
                    }
                case 3 when s.EndpointSlices.Count > 0:
                    {
                        // An endpoint moves: a slice's endpoints become a random set of its namespace's pods.
                        var i = random.Next(s.EndpointSlices.Count);
                        var slice = s.EndpointSlices[i];
                        // Some name their pod, some give only its address (the pod is then found by address).
                        var eps = s.Pods.Where(p => p.Namespace == slice.Namespace && !string.IsNullOrEmpty(p.PodIP) && random.Next(2) == 0)
                            .Select(p => Ep(p.PodIP!, random.Next(4) == 0 ? null : p.Name, ready: random.Next(5) != 0)).ToArray();
                        return (s with { EndpointSlices = Replace(s.EndpointSlices, i, slice with { Endpoints = eps }) }, $"move endpoints of slice {slice.Namespace}/{slice.Name}");
                    }
                case 4:
                    {
                        if (random.Next(2) == 0 && s.EndpointSlices.Count > 0)
                        {
                            var i = random.Next(s.EndpointSlices.Count);
                            return (s with { EndpointSlices = [.. s.EndpointSlices.Where((_, j) => j != i)] }, $"remove slice {s.EndpointSlices[i].Namespace}/{s.EndpointSlices[i].Name}");
                        }

                        var (ns, svc) = Pick(ServiceNames);
                        var name = $"{svc}-{random.Next(1000)}";
                        var address = Pick(PodAddresses[..^1]);
                        var pod = s.Pods.FirstOrDefault(p => p.Namespace == ns && p.PodIP == address);
                        var added = Slice(ns, svc, SlicePorts, Ep(address, pod?.Name ?? $"{svc}-{random.Next(6)}")) with { Metadata = Meta(ns, name, labels: new Dictionary<string, string> { [EndpointSlice.ServiceNameLabel] = svc }) };
                        return (s with { EndpointSlices = [.. s.EndpointSlices, added] }, $"add slice {ns}/{name}");
                    }
                case 5 when s.Services.Count > 0:
                    {
                        var i = random.Next(s.Services.Count);
                        var svc = s.Services[i];
                        // Without a selector (only in the chains of their own draws) a Service's endpoints are its slices', which
                        // can name any pod at an address: what a policy on it reaches then moves with pods of other namespaces.
                        var changed = everyNamespace && random.Next(4) == 0
                            ? svc with { Spec = svc.Spec with { Selector = new Dictionary<string, string>() } }
                            : random.Next(2) == 0
                            ? svc with { Spec = svc.Spec with { Selector = new Dictionary<string, string> { ["app"] = Pick(Apps) } } }
                            : svc with { Spec = svc.Spec with { Ports = Pick(PortChoices()) } };
                        return (s with { Services = Replace(s.Services, i, changed) }, $"change Service {svc.Namespace}/{svc.Name}");
                    }
                case 6 when s.Pods.Count > 0:
                    {
                        var i = random.Next(s.Pods.Count);
                        var pod = s.Pods[i];
                        var labels = new Dictionary<string, string> { ["app"] = Pick(Apps) };
                        if (random.Next(3) == 0)
                        {
                            labels[DefaultInboundPolicies.Key] = Pick<string>([DefaultInboundPolicies.Deny, DefaultInboundPolicies.SameNamespace]);
                        }

                        var changed = random.Next(6) switch
                        {
                            0 => pod with { Spec = pod.Spec with { ServiceAccountName = Pick(Apps) } },
                            1 => pod with { PodIP = Pick(PodAddresses) },
                            2 => pod with { Metadata = pod.Metadata with { Annotations = random.Next(3) == 0 ? new Dictionary<string, string>() : new Dictionary<string, string> { [Pick<string>([MeshLevels.Key, MeshLevels.Key, OutboundPolicies.Key])] = Pick<string>([MeshLevels.Off, MeshLevels.L4, OutboundPolicies.RegistryOnly]) } } },
                            3 => pod with { Spec = pod.Spec with { Containers = [new Container { Name = "app", Ports = random.Next(3) == 0 ? [] : [new ContainerPort { Name = "web", Port = Pick<int>([8081, 8082]) }] }] } },
                            _ => pod with { Metadata = pod.Metadata with { Labels = labels } },
                        };
                        return (s with { Pods = Replace(s.Pods, i, changed) }, $"change pod {pod.Namespace}/{pod.Name}");
                    }
                case 9:
                    {
                        var ns = Pick(Namespaces);
                        var name = $"{Pick(Apps)}-{random.Next(6)}";
                        if (s.Pods.Any(p => p.Namespace == ns && p.Name == name))
                        {
                            return (s, "add pod (exists)");
                        }

                        var app = name[..name.IndexOf('-', StringComparison.Ordinal)];
                        var pod = Authorization.Authz.Pod(ns, name, Pick(PodAddresses), app, [("app", app)]);
                        var at = random.Next(s.Pods.Count + 1); // the store keeps its objects' order, a new one anywhere
                        return (s with { Pods = [.. s.Pods.Take(at), pod, .. s.Pods.Skip(at)] }, $"add pod {ns}/{name} at {pod.PodIP}");
                    }
                case 10 when s.Pods.Count > 0:
                    {
                        var i = random.Next(s.Pods.Count);
                        return (s with { Pods = [.. s.Pods.Where((_, j) => j != i)] }, $"delete pod {s.Pods[i].Namespace}/{s.Pods[i].Name}");
                    }
                case 7 when everyNamespace:
                    {
                        var ns = Pick(Namespaces);
                        var name = Pick<string>(["p", "q"]);
                        var at = s.AuthorizationPolicies.ToList().FindIndex(p => p.Namespace == ns && p.Name == name);
                        switch (random.Next(5))
                        {
                            case 0 when at >= 0:
                                return (s with { AuthorizationPolicies = [.. s.AuthorizationPolicies.Where((_, j) => j != at)] }, $"AuthorizationPolicy {ns}/{name} deleted");
                            case 1 when s.AuthorizationPolicies.Count > 1:
                                {
                                    // Two policies trade places in the list (the statuses follow the list's order).
                                    var (x, y) = (random.Next(s.AuthorizationPolicies.Count), random.Next(s.AuthorizationPolicies.Count));
                                    var swapped = Replace(Replace(s.AuthorizationPolicies, x, s.AuthorizationPolicies[y]), y, s.AuthorizationPolicies[x]);
                                    return (s with { AuthorizationPolicies = swapped }, $"AuthorizationPolicies {x} and {y} swapped");
                                }
                        }

                        var services = ServiceNames.Where(n => n.Ns == ns).Select(n => n.Name).ToArray();
                        var target = random.Next(3) switch
                        {
                            0 => Pods(("app", Pick(Apps))),
                            1 when services.Length > 0 => ServiceTarget(Pick(services)),
                            1 => Pods(("app", Pick(Apps))),
                            _ => RouteTarget("HTTPRoute", $"r{random.Next(8)}"),
                        };
                        var policy = PolicyOf(ns, name, random.Next(3) == 0 ? AuthorizationAction.Deny : AuthorizationAction.Allow, [target], Authorization.Authz.Rule([Sa(Pick(Namespaces), Pick(Apps))]));
                        var policies = at >= 0 ? Replace(s.AuthorizationPolicies, at, policy)
                            : [.. s.AuthorizationPolicies.Take(at = random.Next(s.AuthorizationPolicies.Count + 1)), policy, .. s.AuthorizationPolicies.Skip(at)];
                        return (s with { AuthorizationPolicies = policies }, $"AuthorizationPolicy {ns}/{name} {(policies.Length > s.AuthorizationPolicies.Count ? "created" : "changed")}");
                    }
                case 7:
                    {
                        var target = random.Next(3) switch
                        {
                            0 => Pods(("app", Pick(Apps))),
                            1 => ServiceTarget(Pick(ServiceNames.Where(n => n.Ns == Shop).Select(n => n.Name).ToArray())),
                            _ => RouteTarget("HTTPRoute", $"r{random.Next(8)}"),
                        };
                        var source = Sa(Pick(Namespaces), Pick(Apps));
                        AuthorizationPolicy[] policies = random.Next(4) == 0 ? []
                            : [PolicyOf(Shop, "p", random.Next(3) == 0 ? AuthorizationAction.Deny : AuthorizationAction.Allow, [target], Authorization.Authz.Rule([source]))];
                        return (s with { AuthorizationPolicies = policies }, $"AuthorizationPolicy {(policies.Length == 0 ? "deleted" : "changed")}");
                    }
                default:
                    {
                        var i = random.Next(s.Namespaces.Count);
                        var ns = s.Namespaces[i];
                        var annotations = random.Next(3) == 0 ? new Dictionary<string, string>()
                            : random.Next(3) == 0 ? new Dictionary<string, string> { [OutboundPolicies.Key] = Pick<string>([OutboundPolicies.RegistryOnly, OutboundPolicies.AllowAny]) }
                            : new Dictionary<string, string> { [DefaultInboundPolicies.Key] = Pick<string>([DefaultInboundPolicies.Deny, DefaultInboundPolicies.AllAuthenticated, DefaultInboundPolicies.SameNamespace]) };
                        return (s with { Namespaces = Replace(s.Namespaces, i, ns with { Metadata = ns.Metadata with { Annotations = annotations } }) }, $"annotate namespace {ns.Name}");
                    }
            }
        }
    }

    [Theory]
    [InlineData(18_2025)]
    [InlineData(1)]
    [InlineData(2)]
    public void A_chain_of_random_updates_equals_a_full_build_after_every_step(int seed) => RunChain(seed, everyNamespace: false);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void A_chain_of_random_updates_with_AuthorizationPolicies_in_every_namespace_equals_a_full_build_after_every_step(int seed) =>
        RunChain(seed, everyNamespace: true);

    private static void RunChain(int seed, bool everyNamespace)
    {
        var random = new Random(seed);
        var unread = new Random(seed + 1); // its own, so that the seeds replay the chains they were added for
        var stepper = new Stepper(random, everyNamespace);
        var snapshot = Start();
        var model = MeshModel.Build(snapshot);
        Check(model, snapshot, seed, 0, "start");

        for (var step = 1; step <= Steps; step++)
        {
            var changes = new List<string>();
            var (previous, previousSnapshot) = (model, snapshot);
            for (var n = random.Next(1, 4); n > 0; n--)
            {
                (snapshot, var change) = stepper.Change(snapshot);
                changes.Add(change);
                if (n > 1 && unread.Next(3) == 0)
                {
                    // A model nobody reads (the status writer skips models that come while it writes): the next is made from it.
                    model = model.Update(snapshot);
                    changes.Add("(a model made, not read)");
                }
            }

            model = model.Update(snapshot);
            Check(model, snapshot, seed, step, string.Join(", ", changes));

            // The model before still serves what it served (the two share caches), read after the new one was made.
            Check(previous, previousSnapshot, seed, step, $"the model before ({string.Join(", ", changes)})");
        }
    }

    [Fact]
    public void A_pod_list_reordered_beyond_a_few_places_gives_an_address_to_its_first_pod_as_a_build_does()
    {
        // Two pods share an address the slice gives without naming a pod: the first in the list has it. Forty other pods
        // change at once, so the lists are compared by each object's place, and the two trade places.
        Pod P(string name, string ip, string app) => Authorization.Authz.Pod(Shop, name, ip, app, [("app", app)]);
        var others = Enumerable.Range(0, 40).Select(n => P($"q-{n}", $"10.2.0.{n}", "q")).ToArray();
        var (first, second) = (P("a-1", "10.1.0.9", "a"), P("a-2", "10.1.0.9", "b"));
        var before = new MeshSnapshot
        {
            Namespaces = [new Namespace { ApiVersion = "v1", Metadata = new ObjectMeta { Name = Shop } }],
            Services = [Authorization.Authz.Svc(Shop, "a", "10.96.1.1", [("app", "a")], DefaultPorts())],
            Pods = [.. others, first, second],
            EndpointSlices = [Slice(Shop, "a", SlicePorts, Ep("10.1.0.9"))],
        };
        var after = before with { Pods = [.. others.Select(p => p with { Metadata = p.Metadata with { Labels = new Dictionary<string, string> { ["app"] = "r" } } }), second, first] };

        var updated = MeshModel.Build(before).Update(after);
        var built = MeshModel.Build(after);

        foreach (var (host, port) in new[] { ("a", 80), ("10.1.0.9", 8080) })
        {
            Assert.Equal(built.Compile(Shop, host, port).ToJson(), updated.Compile(Shop, host, port).ToJson());
        }

        Assert.Contains("a-2", built.Compile(Shop, "a", 80).ToJson(), StringComparison.Ordinal);
    }

    private static void Check(MeshModel updated, MeshSnapshot snapshot, int seed, int step, string changes)
    {
        var built = MeshModel.Build(snapshot);
        var where = $"seed {seed}, step {step} ({changes})";
        foreach (var client in Namespaces)
        {
            foreach (var host in Hosts)
            {
                foreach (var port in DestinationPorts)
                {
                    var expected = built.Compile(client, host, port).ToJson();
                    var actual = updated.Compile(client, host, port).ToJson();
                    Assert.True(expected == actual, $"{where}: policy from {client} to {host}:{port}\nbuilt:   {expected}\nupdated: {actual}");
                    var expectedL4 = built.Compile(client, host, port, MeshLevels.L4).ToJson();
                    var actualL4 = updated.Compile(client, host, port, MeshLevels.L4).ToJson();
                    Assert.True(expectedL4 == actualL4, $"{where}: L4 policy from {client} to {host}:{port}\nbuilt:   {expectedL4}\nupdated: {actualL4}");
                }
            }
        }

        var expectedStatuses = string.Join("\n", built.StatusLines());
        var actualStatuses = string.Join("\n", updated.StatusLines());
        Assert.True(expectedStatuses == actualStatuses, $"{where}: route statuses\nbuilt:\n{expectedStatuses}\nupdated:\n{actualStatuses}");

        // Each by name, as the status writer reads them.
        foreach (var status in built.Statuses)
        {
            var expected = status.Line();
            var actual = updated.StatusOf(status.Kind, status.Namespace, status.Name)?.Line();
            Assert.True(expected == actual, $"{where}: the status of {status.Kind} {status.Namespace}/{status.Name} by name\nbuilt:   {expected}\nupdated: {actual}");
        }

        // Every pod a step may name, so that a deleted pod's policy is seen to go too.
        foreach (var pod in Namespaces.SelectMany(ns => Apps.SelectMany(app => Enumerable.Range(0, 6).Select(n => (Namespace: ns, Name: $"{app}-{n}", Key: $"{ns}/{app}-{n}")))))
        {
            var expected = built.CompileInbound(pod.Namespace, pod.Name).ToJson();
            var actual = updated.CompileInbound(pod.Namespace, pod.Name).ToJson();
            Assert.True(expected == actual, $"{where}: inbound policy of {pod.Namespace}/{pod.Name}\nbuilt:   {expected}\nupdated: {actual}");
            Assert.Equal(built.Outside(pod.Namespace, pod.Key), updated.Outside(pod.Namespace, pod.Key));
        }

        var expectedBackends = System.Text.Json.JsonSerializer.Serialize(new { X = built.XBackendStatuses, Tls = built.BackendTlsPolicyStatuses, Traffic = built.BackendTrafficPolicyStatuses });
        var actualBackends = System.Text.Json.JsonSerializer.Serialize(new { X = updated.XBackendStatuses, Tls = updated.BackendTlsPolicyStatuses, Traffic = updated.BackendTrafficPolicyStatuses });
        Assert.True(expectedBackends == actualBackends, $"{where}: backend statuses\nbuilt:   {expectedBackends}\nupdated: {actualBackends}");

        var expectedAuthorization = System.Text.Json.JsonSerializer.Serialize(built.AuthorizationStatuses);
        var actualAuthorization = System.Text.Json.JsonSerializer.Serialize(updated.AuthorizationStatuses);
        Assert.True(expectedAuthorization == actualAuthorization, $"{where}: AuthorizationPolicy statuses\nbuilt:   {expectedAuthorization}\nupdated: {actualAuthorization}");
    }
}
