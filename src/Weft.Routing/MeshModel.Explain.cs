using System.Globalization;
using Weft.Routing.Authorization;
using Weft.Routing.Filters;
using Weft.Routing.Internal;
using Weft.Routing.Matching;
using Weft.Routing.Planning;
using Weft.Routing.Policy;
using Weft.Routing.Resilience;

namespace Weft.Routing;

public sealed partial class MeshModel
{
    /// <summary>
    /// Where <paramref name="request"/> from a workload in <paramref name="clientNamespace"/> would go, and why, at the
    /// caller's level (DESIGN decision 6: <see cref="ExplainRequest.ClientPod"/>'s, else the namespace's, else l7): at l7
    /// the routes; at l4 TCPRoutes and TLSRoutes only, the connection tunnelled inside mTLS; at off no sidecar, so no route
    /// and no identity, kube-proxy picking an endpoint (<see cref="ExplainWithoutSidecar"/>).
    /// </summary>
    public Explanation Explain(string clientNamespace, ExplainRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (level, levelSource) = LevelOf(clientNamespace, request);
        if (level == MeshLevels.Off)
        {
            return ExplainWithoutSidecar(clientNamespace, request with { Identity = null }, levelSource);
        }

        var frontend = Resolve(clientNamespace, request.Host, request.Port, out var note);
        if (frontend is null && Compile(clientNamespace, request.Host, request.Port, level) is { DefaultBackend: { } declared } declaredPolicy)
        {
            // An external host an XBackend of the client's namespace declares (issue 17, 7b): the sidecar sends it there.
            var why = declared.Invalid is { } invalid ? $"answered 500 ({invalid})"
                : declared.External is { } external ? $"to external host {Describe(external)}, as the sidecar resolves it (never the address the app chose)"
                : "answered 500";
            return new Explanation
            {
                ClientNamespace = clientNamespace,
                ClientLevel = level,
                ClientLevelSource = levelSource,
                Request = request,
                FrontendNote = $"{note}; XBackend {declared.Namespace}/{declared.Name} of namespace {clientNamespace} declares {request.Host}:{request.Port.ToString(CultureInfo.InvariantCulture)}",
                Policy = declaredPolicy,
                Outcome = $"declared external host: {why}",
            };
        }

        if (frontend is null)
        {
            var outside = Outside(clientNamespace, request.ClientPod ?? "");
            return new Explanation
            {
                ClientNamespace = clientNamespace,
                ClientLevel = level,
                ClientLevelSource = levelSource,
                Request = request,
                FrontendNote = note,
                Outcome = outside.AllowsAny
                    ? $"outside the mesh: the client's sidecar forwards it as addressed, nothing of the mesh added (outbound policy {outside.Mode}, from {outside.Source})"
                    : $"outside the mesh: refused by the client's sidecar, {OutsideRefusal(request)}, nothing sent (outbound policy {outside.Mode}, from {outside.Source})"
                        + (level == MeshLevels.L4 ? L4OutsideNote : ""),
            };
        }

        // The routes bound to the port are listed from the l7 selection; what applies is the selection at the caller's
        // level, the one its policy was compiled from (at l4, TCPRoute and TLSRoute only: MeshModel.Levels).
        var compiled = Compile(clientNamespace, frontend);
        var selection = compiled.Selection;
        var l4 = level == MeshLevels.L4;
        var applying = l4 && frontend.AddressedBy != FrontendAddress.PodIP && frontend is { Service: { } svc, ServicePort: { } sp }
            ? Select(clientNamespace, svc, sp, l4Only: true)
            : selection;
        var policy = l4 ? Compile(clientNamespace, request.Host, request.Port, level) ?? compiled.Policy : compiled.Policy;
        var routes = new List<ExplainedRoute>();
        foreach (var (group, list) in new[] { (PolicyView.Consumer, selection.Consumer), (PolicyView.Producer, selection.Producer) })
        {
            foreach (var r in list)
            {
                var applied = applying.Applied.Contains(r);
                var why = applied
                    ? "applied"
                    : l4 && r.Type is RouteType.Http or RouteType.Grpc
                        ? $"not applied: the caller is at level l4, for which {r.Route.Kind}s do not exist"
                    : group != applying.View
                        ? "not consulted: consumer routes of the client's namespace replace producer routes (gamma-spec B3)"
                    : r.Type is RouteType.Tcp or RouteType.Tls && applying.Applied[0].Type is RouteType.Http or RouteType.Grpc
                        ? $"not applied: {TypeOrder[(int)applying.Applied[0].Type]} takes precedence on this port (gamma-spec D1) for this l7 caller; l4 workloads see no {TypeOrder[(int)applying.Applied[0].Type]} (its status says whether any use it)"
                        : $"not applied: {TypeOrder[(int)applying.Applied[0].Type]} takes precedence on this port (gamma-spec D1), status Conflicted";
                routes.Add(new ExplainedRoute(r.Route.Kind, r.Route.Namespace, r.Route.Name, group, applied, why));
            }
        }

        var result = new Explanation
        {
            ClientNamespace = clientNamespace,
            ClientLevel = level,
            ClientLevelSource = levelSource,
            Request = request,
            Frontend = frontend,
            FrontendNote = note,
            View = applying.View,
            ViewReason = l4 ? $"the caller is at level l4: only TCPRoutes and TLSRoutes count; {applying.ViewReason}" : applying.ViewReason,
            Routes = routes,
            ConflictDecision = applying.ConflictDecision,
            Protocol = policy.Protocol,
            ProtocolNote = l4
                ? "the caller is at level l4: its sidecar relays the connection's bytes inside mTLS without reading them, HTTP or not"
                    + (policy.Protocol == PolicyProtocol.Tls ? ", choosing a TLSRoute by the ClientHello's SNI" : "")
                : null,
            Policy = policy,
            Outcome = "",
        };

        return PolicyProtocol.IsTunnelled(policy.Protocol)
            ? ExplainConnection(result, policy, request)
            : ExplainHttp(result, compiled, request);
    }

    /// <summary>
    /// An l4 sidecar relays what it has a policy for unread; for a destination outside the mesh it has none, so it reads
    /// the first bytes as an l7 one does (the proxy's L4Proxy: protocol detection, then the HTTP layer's outbound policy).
    /// </summary>
    private const string L4OutsideNote = "; at level l4 too: the caller's sidecar has no policy for this destination, so it reads the first bytes: an HTTP request gets this answer, other bytes (a TLS ClientHello, opaque TCP) get the connection closed";

    /// <summary>What the client's sidecar answers a request that its outbound policy refuses (issue 17): 403, or PERMISSION_DENIED to a gRPC call.</summary>
    private static string OutsideRefusal(ExplainRequest request) =>
        Headers(request).Get("content-type") is { } type && type.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase)
            ? "gRPC PERMISSION_DENIED"
            : "403";

    /// <summary>
    /// The caller's level and where it was read: the pod's (its recorded <c>weft.dev/mesh</c>), else its namespace's, as
    /// <see cref="PodSettings.Find"/> reads every mesh setting; l7 when none says (DESIGN decision 6's default). With
    /// <see cref="ExplainRequest.ClientLevelSource"/>, the pod's level is said to come from there: its annotation is the
    /// injector's record of the level, not a setting of the user's.
    /// </summary>
    private (string Level, string Source) LevelOf(string clientNamespace, ExplainRequest request)
    {
        var (level, source) = PodSettings.Find(MeshLevels.Key, _index.PodByKey(request.ClientPod), PodSettings.NamespaceOf(_snapshot, clientNamespace), MeshLevels.Parse)
            ?? (MeshLevels.L7, MeshLevels.DefaultSource);
        return (level, request.ClientPod is not null && request.ClientLevelSource is { } given ? given : source);
    }

    /// <summary>
    /// A caller without a sidecar (<c>weft.dev/mesh: off</c>): nothing of the mesh acts on its side. No route applies and
    /// it has no identity; kube-proxy sends the connection to one endpoint of the Service (or the pod IP as addressed).
    /// There a pod without a sidecar gets it as sent; a sidecar in strict mTLS closes it without a byte; one in permissive
    /// mode accepts it in plaintext and its authorization decides the connection for an unauthenticated caller.
    /// </summary>
    private Explanation ExplainWithoutSidecar(string clientNamespace, ExplainRequest request, string levelSource)
    {
        var frontend = Resolve(clientNamespace, request.Host, request.Port, out var note);
        var result = new Explanation
        {
            ClientNamespace = clientNamespace,
            ClientLevel = MeshLevels.Off,
            ClientLevelSource = levelSource,
            Request = request,
            Frontend = frontend,
            FrontendNote = note,
            Outcome = "",
        };
        if (frontend is null)
        {
            return result with { Outcome = "outside the mesh: no sidecar, so the connection goes out as addressed; no outbound policy applies" };
        }

        var compiled = Compile(clientNamespace, frontend);
        var noSidecar = $"not applied: the caller has no sidecar ({MeshLevels.Key}: off): no route applies to its traffic";
        var routes = compiled.Selection.Consumer.Select(r => new ExplainedRoute(r.Route.Kind, r.Route.Namespace, r.Route.Name, PolicyView.Consumer, false, noSidecar))
            .Concat(compiled.Selection.Producer.Select(r => new ExplainedRoute(r.Route.Kind, r.Route.Namespace, r.Route.Name, PolicyView.Producer, false, noSidecar)))
            .ToList();
        var backend = frontend is { AddressedBy: not FrontendAddress.PodIP, Service: { } svc, ServicePort: { } sp }
            ? ServiceBackend(svc, sp, ServiceAppProtocol.WithoutRoutes(sp.AppProtocol).Backend)
            : compiled.Policy.DefaultBackend!;
        var arrivals = backend.Endpoints.Select(Arrival).ToList();
        var where = frontend.AddressedBy == FrontendAddress.PodIP
            ? "the connection goes to the pod IP as addressed"
            : $"kube-proxy sends the connection to one of the Service's {backend.Endpoints.Count} endpoint(s), picked at random";
        var endpoints = string.Join(", ", backend.Endpoints.Zip(arrivals, (e, a) =>
            $"{e.Address}:{e.Port}{(e.Pod is null ? "" : $" ({e.Pod})")}: {a.Text}{(a.Mtls is null ? "" : $" (mTLS mode from {a.Mtls})")}"));
        var authorized = arrivals.Where(a => a.Authorization is not null).Select(a => a.Authorization!).ToList();
        var outcome = arrivals.Count == 0 ? "no endpoint: kube-proxy refuses the connection"
            : arrivals.Select(a => a.Text).Distinct(StringComparer.Ordinal).Count() == 1 ? $"{where}: {arrivals[0].Text}"
            : $"{where}: what happens depends on the endpoint (see the backend line)";
        return result with
        {
            View = PolicyView.None,
            ViewReason = $"the caller has no sidecar ({MeshLevels.Key}: off): no route applies; {where}",
            Routes = routes,
            Protocol = PolicyProtocol.Tcp,
            ProtocolNote = "no sidecar on the caller's side: nothing reads the request, the connection is TCP as the app opened it",
            Backends = [new ExplainedBackend(backend, 1.0, arrivals.Count == 0 ? "no endpoint" : $"{where}: {endpoints}", null, authorized.Count == 0 ? null : authorized)],
            Outcome = outcome,
        };
    }

    /// <summary>What the pod behind <paramref name="e"/> does with a plaintext connection from a caller without a sidecar.</summary>
    private (string Text, string? Mtls, ExplainedAuthorization? Authorization) Arrival(EndpointPolicy e)
    {
        var pod = _index.PodByKey(e.Pod);
        if (pod is null || MeshLevels.Of(pod) == MeshLevels.Off || e.Identity is null)
        {
            return ("the app gets it as sent (no sidecar on either side)", null, null);
        }

        var ns = PodSettings.NamespaceOf(_snapshot, pod.Namespace);
        var (mtls, source) = PodSettings.Find(MeshLevels.MtlsKey, pod, ns, MeshLevels.ParseMtls) ?? (DefaultMtls, $"{MeshLevels.DefaultSource} (--mtls-default)");
        if (mtls == MeshLevels.MtlsStrict)
        {
            return ("refused: the pod's sidecar is strict mTLS and the caller has no sidecar: the connection is closed without a byte", source, null);
        }

        var decision = ExplainAuthorization(pod.Namespace, pod.Name, new AuthorizationRequest(null, e.Port), new HeaderList());
        const string Text = "accepted in plaintext by the pod's sidecar (permissive mTLS), the caller unauthenticated";
        return decision is null ? (Text, source, null)
            : decision.Allowed ? ($"{Text}; its authorization admits the connection", source, new ExplainedAuthorization(pod.Key, decision))
            : ($"{Text}; its authorization closes the connection", source, new ExplainedAuthorization(pod.Key, decision));
    }

    /// <summary>
    /// With the caller's identity known, what the sidecar of each pod behind <paramref name="backend"/> decides for the
    /// request as it arrives there (its path after a rewrite; a connection when <paramref name="method"/> is null): the
    /// same <see cref="AuthorizationPlanner"/> the sidecar runs, on the policy discovery would send it.
    /// </summary>
    private List<ExplainedAuthorization>? Authorize(ExplainRequest request, BackendPolicy? backend, string? method, string path, bool isGrpc)
    {
        if (request.Identity is null || backend is null)
        {
            return null;
        }

        var headers = Headers(request);
        var decided = new List<ExplainedAuthorization>();
        foreach (var e in backend.Endpoints)
        {
            var pod = e.Pod ?? "";
            var slash = pod.IndexOf('/', StringComparison.Ordinal);
            if (slash <= 0 || e.Identity is null)
            {
                continue; // no sidecar there (or its admin port): the client's sidecar sends plaintext, nothing authorizes it
            }

            var asked = new AuthorizationRequest(request.Identity, e.Port, method, method is null ? null : path, isGrpc);
            if (ExplainAuthorization(pod[..slash], pod[(slash + 1)..], asked, headers) is { } decision)
            {
                decided.Add(new ExplainedAuthorization(pod, decision));
            }
        }

        return decided;
    }

    /// <summary>What <see cref="RequestPlanner"/> decides for the request, as the proxy would run it: once with a trace, then once per weighted backend.</summary>
    private Explanation ExplainHttp(Explanation result, CompiledDestination compiled, ExplainRequest request)
    {
        var policy = compiled.Policy;
        var (path, query) = SplitPathAndQuery(request.PathAndQuery);
        var table = RouteTable.Build(policy);
        RequestPlan PlanAt(double random01, bool trace) =>
            RequestPlanner.PlanRequest(table, request.Method, path, query, Headers(request), request.Port, random01, trace);
        List<ExplainedAuthorization>? AuthorizeAt(RequestPlan p) => Authorize(request, p.Backend, request.Method, p.Path, table.IsGrpc);

        var plan = PlanAt(0.0, trace: true);
        if (plan.Rule is { } rule)
        {
            var winner = plan.RuleIndex;
            var others = new List<ExplainedRule>();
            foreach (var i in plan.AlsoMatched)
            {
                _ = table.IsGrpc
                    ? Precedence.CompareGrpc(compiled.Candidates[winner], compiled.Candidates[i], out var step)
                    : Precedence.CompareHttp(compiled.Candidates[winner], compiled.Candidates[i], out step);
                others.Add(new ExplainedRule(policy.Rules[i].Origin, policy.Rules[i].Match, i, step));
            }

            result = result with
            {
                Matched = new ExplainedRule(rule.Origin, rule.Match, winner, null),
                AlsoMatched = others,
                Filters = [.. plan.Filters.Take(rule.Filters.Count)],
            };
        }

        var sent = Headers(request);
        if (plan.Cors is { } cors && plan.Outcome is PlanOutcome.Forward or PlanOutcome.ForwardToService
            && CorsPreflight.IsPreflight(request.Method, sent.Get("Origin"), sent.Get(CorsPreflight.RequestMethod)))
        {
            // The CORS filter: the client's sidecar answers a preflight itself, allowed or not (OutboundHandler).
            var answer = CorsPreflight.Preflight(cors, sent.Get("Origin")!, sent.Get(CorsPreflight.RequestMethod)!, sent.Get(CorsPreflight.RequestHeaders));
            return result with
            {
                Outcome = answer is null
                    ? $"{CorsPreflight.PreflightStatus} CORS preflight answered by the client's sidecar (the rule's CORS filter) without CORS headers: the origin, method or headers are not allowed; nothing is forwarded"
                    : $"{CorsPreflight.PreflightStatus} CORS preflight answered by the client's sidecar (the rule's CORS filter): {string.Join(", ", answer.Select(h => $"{h.Key}: {h.Value}"))}; nothing is forwarded",
                Decision = plan.Outcome,
            };
        }

        if (policy.Protocol == PolicyProtocol.Opaque)
        {
            // C1: a port without routes whose appProtocol is not HTTP is told by the first bytes (L4Proxy); a request is HTTP.
            var declared = result.Frontend?.ServicePort?.AppProtocol is { } app ? $"appProtocol \"{app}\"" : "no appProtocol";
            result = result with
            {
                ProtocolNote = $"no route and {declared}: the client's sidecar tells by the first bytes; an HTTP request such as this one is served at L7, anything else is relayed as TCP",
            };
        }

        return Decided(result, plan.Picked, plan.PickedIndex, plan.Rule?.Backends, (plan.Outcome, Describe(plan), AuthorizeAt(plan)),
            random01 => PlanAt(random01, trace: false) is var p ? (p.Outcome, Describe(p), AuthorizeAt(p)) : default,
            table.IsGrpc ? "gRPC PERMISSION_DENIED" : "403 forbidden", http: true);
    }

    /// <summary>What <see cref="ConnectionPlanner"/> decides for a connection with the request's SNI, then once per weighted backend.</summary>
    private Explanation ExplainConnection(Explanation result, DestinationPolicy policy, ExplainRequest request)
    {
        var plan = ConnectionPlanner.Plan(policy, request.ServerName, 0.0);
        List<ExplainedAuthorization>? AuthorizeAt(ConnectionPlan p) => Authorize(request, p.Backend, method: null, "", isGrpc: false);
        return Decided(result, plan.Picked, plan.PickedIndex, plan.Rule?.Backends, (plan.Outcome, Describe(plan, policy), AuthorizeAt(plan)),
            random01 => ConnectionPlanner.Plan(policy, request.ServerName, random01) is var p ? (p.Outcome, Describe(p, policy), AuthorizeAt(p)) : default,
            "connection closed", http: false);
    }

    /// <summary>
    /// The explanation of a planner's decision: an answer given before any backend was picked; the one backend of the
    /// Service (C1); or, for a rule's backends, each with its share and what the planner decides for the traffic that
    /// falls on it (<paramref name="planAt"/> run with a draw in the middle of that share). The outcome of a share whose
    /// endpoints' sidecars deny the caller is their <paramref name="denial"/> (<see cref="Answered"/>).
    /// </summary>
    private static Explanation Decided(
        Explanation result, BackendPolicy? picked, int pickedIndex, IReadOnlyList<BackendPolicy>? ruleBackends,
        (PlanOutcome Outcome, string Text, List<ExplainedAuthorization>? Authorized) decided,
        Func<double, (PlanOutcome Outcome, string Text, List<ExplainedAuthorization>? Authorized)> planAt,
        string denial, bool http)
    {
        if (picked is null)
        {
            return result with { Outcome = decided.Text, Decision = decided.Outcome };
        }

        if (pickedIndex < 0)
        {
            return result with { Backends = [Explain(picked, 1.0, decided.Text, decided.Outcome, http, decided.Authorized)], Outcome = Answered(decided.Text, decided.Authorized, picked.Endpoints.Count, denial), Decision = decided.Outcome };
        }

        var backends = new List<(ExplainedBackend Backend, string? Decided)>();
        for (var i = 0; i < ruleBackends!.Count; i++)
        {
            var b = ruleBackends[i];
            var (outcome, text, authorized) = WeightedPicker.DrawWithin(ruleBackends, i) is { } draw ? planAt(draw) : default;
            backends.Add(text is null
                ? (Explain(b, 0, "weight 0: gets no traffic", null, http), null)
                : (Explain(b, WeightedPicker.Share(ruleBackends, i), text, outcome, http, authorized), Answered(text, authorized, b.Endpoints.Count, denial)));
        }

        return result with { Backends = [.. backends.Select(b => b.Backend)], Outcome = Summarise(backends), Decision = Common(backends) };
    }

    /// <summary>
    /// What the caller gets for a routed decision: where every endpoint's inbound authorization denies it, their sidecars
    /// answer <paramref name="denial"/> instead of the app (the planner's decision, <see cref="PlanOutcome"/>, stays as it
    /// is); where only some do, the text says at which.
    /// </summary>
    private static string Answered(string decided, List<ExplainedAuthorization>? authorized, int endpoints, string denial)
    {
        // Of the endpoints, those without a sidecar have no decision (Authorize): they take the request as it comes.
        var denied = authorized?.Where(a => !a.Decision.Allowed).ToList() ?? [];
        return denied.Count == 0 ? decided
            : denied.Count == endpoints ? $"{denial} by the destination's sidecar, authorization denies the caller (routed: {decided})"
            : $"{decided}; {denial} at {denied.Count} of {endpoints} endpoints, whose authorization denies the caller ({string.Join(", ", denied.Select(a => a.Pod))})";
    }

    private static PlanOutcome? Common(List<(ExplainedBackend Backend, string? Decided)> backends)
    {
        var outcomes = backends.Where(b => b.Decided is not null).Select(b => b.Backend.Outcome).Distinct().ToList();
        return outcomes.Count == 1 ? outcomes[0] : null;
    }

    /// <summary>One outcome when every share gets the same, else the split.</summary>
    private static string Summarise(List<(ExplainedBackend Backend, string? Decided)> backends)
    {
        var used = backends.Where(b => b.Decided is not null).ToList();
        if (used.Select(b => b.Decided).Distinct(StringComparer.Ordinal).Count() == 1)
        {
            return used[0].Decided!;
        }

        return used.All(b => b.Backend.Outcome == PlanOutcome.Forward && b.Backend.Authorization?.Any(a => !a.Decision.Allowed) != true)
            ? "forward to a backend picked by weight (gamma-spec F2)"
            : "split by weight (gamma-spec F2): " + string.Join("; ", used.Select(b => $"{Explanation.Percent(b.Backend.Share)} {b.Decided}"));
    }

    private static string Describe(RequestPlan plan)
    {
        var status = plan.GrpcStatus is int grpc ? $"gRPC {GrpcStatusCodes.Name(grpc)}" : plan.Status.ToString(CultureInfo.InvariantCulture);
        return plan.Outcome switch
        {
            PlanOutcome.Forward => $"forward to {plan.Backend!.Display()}{Rewrites(plan)} (gamma-spec F2)",
            PlanOutcome.ForwardToService => $"forward to the Service's own endpoints{Rewrites(plan)} (no route applies, gamma-spec C1)",
            PlanOutcome.Redirect => $"{status} redirect, Location: {plan.Location} (gamma-spec G6)",
            PlanOutcome.NoRuleMatched => $"{status}: no rule matches; attached routes replace the default behaviour (gamma-spec C2)",
            PlanOutcome.NoBackends => $"{status}: the rule has no backendRefs with traffic and no redirect (gamma-spec F3)",
            var other => $"{status}: {plan.Message} ({other.Rule()})",
        };
    }

    private static string Rewrites(RequestPlan plan) =>
        (plan.PathRewritten ? $", path rewritten to {plan.Path}" : "") + (plan.Host is { } host ? $", Host rewritten to {host}" : "");

    private static string Describe(ConnectionPlan plan, DestinationPolicy policy) => plan.Outcome switch
    {
        PlanOutcome.Forward => $"{policy.Protocol} connection to {plan.Backend!.Display()} by {plan.Rule!.Origin.RouteKind} {plan.Rule.Origin.RouteNamespace}/{plan.Rule.Origin.RouteName} (gamma-spec {(policy.Protocol == PolicyProtocol.Tls ? "K3" : "K2")}, F2)",
        PlanOutcome.ForwardToService => $"{policy.Protocol} connection to the Service's own endpoints (no route applies, gamma-spec C1)",
        PlanOutcome.NoRuleMatched => $"connection closed: {plan.Rejected} (gamma-spec K3)",
        var other => $"connection closed: {plan.Rejected} ({other.Rule()})",
    };


    /// <summary>The request's headers as the proxy sees them: a Host header (the address as written) when none is given.</summary>
    private static HeaderList Headers(ExplainRequest request)
    {
        var headers = new HeaderList(request.Headers);
        if (headers.Get("Host") is null)
        {
            headers.Set("Host", request.Host);
        }

        return headers;
    }

    /// <summary>
    /// One backend's line. <paramref name="http"/>: the traffic is a request, which the sidecar sends to a backend without
    /// an HTTP appProtocol (<c>tcp</c>: a port without routes, C1) as HTTP all the same (as it came: HTTP/1.1 or HTTP/2).
    /// Otherwise a connection (a TCPRoute or TLSRoute, or any traffic of an l4 caller): the sidecar relays its bytes as
    /// sent whatever the backend's appProtocol (L4Proxy), inside mTLS to a pod's sidecar.
    /// </summary>
    private static ExplainedBackend Explain(BackendPolicy b, double share, string decided, PlanOutcome? outcome, bool http, List<ExplainedAuthorization>? authorized = null)
    {
        var wire = !http ? ConnectionWire : b.AppProtocol == BackendAppProtocol.Tcp ? BackendAppProtocol.Http : b.AppProtocol;
        var mtls = !http && b.Endpoints.Any(e => e.Identity is not null) ? ", inside mTLS to the pod's sidecar," : "";
        var note = b.Invalid is not null || outcome is null ? decided
            : b.External is { } external ? $"{decided}: {wire} to external host {Describe(external)}"
            : b.Endpoints.Count == 0 ? decided
            : $"{decided}: {wire}{mtls} to {string.Join(", ", b.Endpoints.Select(Endpoint))}";
        if (b.Tls is { } tls && b.Invalid is null && outcome is not null)
        {
            note += $"; TLS originated by the sidecar ({tls.Source}){Describe(tls)}";
        }

        if (b.RetryBudget is { } budget)
        {
            note += $"; retry budget {budget.Percent}% of requests over {budget.Interval.TotalSeconds:0.###} s, at least {budget.MinRetryCount} per {budget.MinRetryInterval.TotalSeconds:0.###} s ({budget.Source}; 503 past it)";
        }

        if (b.Filters.Count > 0)
        {
            note += $"; backend filters: {string.Join(", ", b.Filters.Select(f => f.Kind))}";
        }

        return new ExplainedBackend(b, share, note, outcome, authorized);
    }

    /// <summary>How a connection's bytes go to a backend: unread, as the client sent them.</summary>
    private const string ConnectionWire = "tcp, its bytes relayed as sent";

    /// <summary>An endpoint as a backend line names it: a pod's without mesh identity (no sidecar, or its admin port) is reached in plaintext, unauthorized.</summary>
    private static string Endpoint(EndpointPolicy e) =>
        e.Pod is null ? $"{e.Address}:{e.Port}"
        : e.Identity is null ? $"{e.Address}:{e.Port} ({e.Pod}, no mesh identity: plaintext, no sidecar authorizes it)"
        : $"{e.Address}:{e.Port} ({e.Pod})";

    /// <summary>"api.example.com:443 (XBackend egress/api) over TLS, SNI …, validated against …; addresses resolved by the sidecar".</summary>
    internal static string Describe(ExternalBackendPolicy external)
    {
        var text = $"{external.Hostname}:{external.Port} ({external.Source})";
        text += external.Tls is { } tls ? $" over TLS{Describe(tls)}" : " in plaintext";
        return text + "; addresses resolved by the sidecar at request time";
    }

    /// <summary>", SNI api.example.com, validated against ConfigMap ns/ca for the name api.example.com".</summary>
    internal static string Describe(TlsOriginationPolicy tls) =>
        $", SNI {tls.ServerName}, validated against {tls.Roots}"
        + (tls.SubjectAltNames.Count == 0 ? $" for the name {tls.ServerName}" : $" for {string.Join(" or ", tls.SubjectAltNames.Select(n => $"{n.Type} {n.Value}"))}");

    private static (string Path, string? Query) SplitPathAndQuery(string pathAndQuery)
    {
        var q = pathAndQuery.IndexOf('?', StringComparison.Ordinal);
        var path = q < 0 ? pathAndQuery : pathAndQuery[..q];
        return (path.Length == 0 ? "/" : path, q < 0 ? null : pathAndQuery[(q + 1)..]);
    }
}
