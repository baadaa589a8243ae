using System.Net;
using Microsoft.Extensions.Logging;
using Weft.Proxy.Discovery;
using Weft.Routing;

namespace Weft.Proxy;

/// <summary>How one sidecar is started: the pod it serves, where its control plane is, and the ports it binds on the pod IP.</summary>
public sealed record ProxyOptions
{
    /// <summary>The pod's namespace (the client namespace of every discovery subscription).</summary>
    public required string PodNamespace { get; init; }

    public required string PodName { get; init; }

    /// <summary>The pod's address: all three listeners bind on it, and the inbound side forwards to the app on it.</summary>
    public required IPAddress PodIp { get; init; }

    public string ServiceAccount { get; init; } = "default";

    /// <summary>
    /// The workload the pod belongs to (its Deployment, or other controller; <see cref="WorkloadName"/>), for the
    /// metrics' source and destination workload labels; null means the pod's name.
    /// </summary>
    public string? Workload { get; init; }

    /// <summary>The discovery server; required unless <see cref="Destinations"/> is given.</summary>
    public Uri? ControlPlane { get; init; }

    /// <summary>The roots an <c>https</c> <see cref="ControlPlane"/>'s certificate must chain to (the mesh trust bundle); null: the system's.</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2Collection? ControlPlaneRoots { get; init; }

    /// <summary>
    /// A file holding the workload token (a projected service-account token in Kubernetes), read again before every
    /// certificate request so that the kubelet's rotation is picked up; it wins over <see cref="Token"/>.
    /// </summary>
    public string? TokenFile { get; init; }

    /// <summary>
    /// The pod's traffic is captured by iptables (<c>weft init</c>'s rules, DESIGN "network namespaces"): the outbound
    /// listener binds <c>127.0.0.1</c>, where REDIRECT sends the app's outbound connections, and both listeners serve a
    /// redirected connection by its original destination (<c>SO_ORIGINAL_DST</c>). Off: the app reaches the outbound
    /// listener on the pod IP through its proxy settings (HTTP_PROXY, CONNECT), as in process isolation.
    /// </summary>
    public bool Capture { get; init; }

    /// <summary>Where the outbound listener binds: <c>127.0.0.1</c> with <see cref="Capture"/>, else the pod IP.</summary>
    public IPAddress OutboundAddress => Capture ? IPAddress.Loopback : PodIp;

    /// <summary>Outbound listener port (absolute-form HTTP proxy requests and CONNECT tunnels); 0 lets the OS choose.</summary>
    public int OutboundPort { get; init; } = MeshPorts.Outbound;

    /// <summary>Inbound listener port (traffic from other sidecars, carrying <see cref="MeshWire.DestinationPortHeader"/>); 0 lets the OS choose.</summary>
    public int InboundPort { get; init; } = MeshPorts.Inbound;

    /// <summary>Admin listener port (<c>/ready</c>, <c>/policies</c>, <c>/stats</c>); 0 lets the OS choose.</summary>
    public int AdminPort { get; init; } = MeshPorts.Admin;

    /// <summary>
    /// The inbound port of the sidecars this proxy sends to. Every sidecar in a mesh uses the same one, so null means
    /// "the port my own inbound listener bound", which also makes single-proxy tests with OS-assigned ports work.
    /// </summary>
    public int? PeerInboundPort { get; init; }

    /// <summary>Where policy comes from; null means a <see cref="DiscoveryDestinationSource"/> on <see cref="ControlPlane"/>.</summary>
    public IDestinationSource? Destinations { get; init; }

    /// <summary>
    /// The most destinations the sidecar subscribes to at once (<see cref="Weft.Discovery.DiscoveryClient.MaxSubscriptions"/>);
    /// a request for a new one beyond it gets 503 (issue 15).
    /// </summary>
    public int MaxDiscoverySubscriptions { get; init; } = 1000;

    /// <summary>A destination subscription nothing used for this long is closed (<see cref="Weft.Discovery.DiscoveryClient.IdleTimeout"/>).</summary>
    public TimeSpan DiscoveryIdleTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>How long a destination the control plane does not know is remembered (<see cref="Weft.Discovery.DiscoveryClient.NotFoundTtl"/>).</summary>
    public TimeSpan NotFoundTtl { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The most unknown destinations remembered (<see cref="Weft.Discovery.DiscoveryClient.NotFoundLimit"/>).</summary>
    public int NotFoundLimit { get; init; } = 1000;

    /// <summary>
    /// A fixed inbound authorization policy (issue 14) instead of the control plane's (tests). Null: with discovery (no
    /// <see cref="Destinations"/>) the sidecar subscribes to its own pod's policy and admits nothing until the first one
    /// arrives; with a static <see cref="Destinations"/> map inbound authorization is off (tests of other features).
    /// </summary>
    public Weft.Routing.Authorization.InboundPolicy? InboundPolicy { get; init; }

    /// <summary>The inbound authorization table in force, read per request (tests swap policies through it); wins over <see cref="InboundPolicy"/>.</summary>
    internal Func<Weft.Routing.Authorization.AuthorizationTable?>? InboundTables { get; init; }

    /// <summary>Logging set-up; null means simple console logging at Information.</summary>
    public Action<ILoggingBuilder>? ConfigureLogging { get; init; }

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// The pod's workload token (<c>WEFT_TOKEN</c>): with <see cref="ControlPlane"/> it gets the sidecar its certificate,
    /// and turns mTLS on. Null and no <see cref="Identity"/>: mTLS is off (plaintext between sidecars, as in unit tests).
    /// </summary>
    public string? Token { get; init; }

    /// <summary>The app's kubelet probes the injector sent to the admin port (<c>WEFT_APP_PROBES</c>), by admin path.</summary>
    public IReadOnlyDictionary<string, Admin.AppProbe> AppProbes { get; init; } = new Dictionary<string, Admin.AppProbe>();

    /// <summary>A fixed identity instead of one from the control plane (tests).</summary>
    public Weft.Discovery.Identity.IdentitySnapshot? Identity { get; init; }

    /// <summary>What the inbound listener accepts when mTLS is on (<c>weft.dev/mtls</c>).</summary>
    public Security.MtlsMode Mtls { get; init; } = Security.MtlsMode.Strict;

    /// <summary>
    /// The workload's opt-in level (<c>weft.dev/mesh</c>, DESIGN decision 6), sent with every discovery subscription:
    /// "l7" (default) or "l4" (mTLS and L4 routing only: the control plane leaves HTTP/gRPC routes out of its policies).
    /// </summary>
    public string Level { get; init; } = "l7";

    /// <summary>
    /// Whether simple HTTP/1.1 requests to the app bypass Kestrel's HTTP layer and YARP (<see cref="Http1.Http1Relay"/>).
    /// On unless <c>WEFT_HTTP1_FAST_PATH=0</c>: the switch is there to compare the two paths (bench/onehop.py) and as an
    /// escape hatch.
    /// </summary>
    public bool Http1FastPath { get; init; } = Environment.GetEnvironmentVariable("WEFT_HTTP1_FAST_PATH") != "0";

    /// <summary>
    /// Whether the HTTP/2-only hops (gRPC, h2c) go through Weft's own HTTP/2 client (<see cref="Http2.Http2Handler"/>)
    /// instead of SocketsHttpHandler. On unless <c>WEFT_HTTP2_CLIENT=sockets</c>: each sidecar's HTTP/2 and gRPC peak is
    /// about half, for as much CPU per request (bench/RESULTS.md, "An HTTP/2 client of Weft's own"); the switch is there
    /// to compare the two and as an escape hatch.
    /// </summary>
    public bool OwnHttp2Client { get; init; } = Environment.GetEnvironmentVariable("WEFT_HTTP2_CLIENT") != "sockets";

    /// <summary>
    /// Once ready, one aggressive full GC returns the start-up garbage's memory to the OS (idle RSS of the AOT sidecar
    /// 22.3 → 20.7 MB), and the file pages touched only while starting are let go (<see cref="StartupPages"/>). Set by the
    /// command line (a process per sidecar); off for proxies hosted in a larger process (tests).
    /// </summary>
    public bool CompactAfterStart { get; init; }

    /// <summary>
    /// The interval at the end of which an idle sidecar gives memory back to the OS (<see cref="IdleTrim"/>: no connection
    /// or request on the outbound and inbound listeners, under <see cref="IdleTrimBusyCpu"/> of a core); null: never.
    /// Set by the command line (<c>--idle-trim-seconds</c>, 30 s by default); off for proxies hosted in a larger process
    /// unless a test sets it.
    /// </summary>
    public TimeSpan? IdleTrimInterval { get; init; }

    /// <summary>How much resident memory an idle sidecar gains before it gives memory back again (<see cref="IdleTrim"/>).</summary>
    public long IdleTrimGrowth { get; init; } = IdleTrim.DefaultGrowth;

    /// <summary>The share of one core (more than 0, at most 1) at which an interval is not quiet (<see cref="IdleTrim"/>): work in flight.</summary>
    public double IdleTrimBusyCpu { get; init; } = IdleTrim.DefaultBusyCpu;

    /// <summary>The process the idle trimmer reads and trims: this one unless a test gives another.</summary>
    internal IdleTrim.Process? IdleTrimProcess { get; init; }

    /// <summary>
    /// How long a peer has, from its connection's accept, to finish the inbound mTLS handshake (the first bytes the
    /// protocol sniffer holds included; <see cref="Security.MeshTls.DefaultHandshakeTimeout"/>).
    /// </summary>
    public TimeSpan TlsHandshakeTimeout { get; init; } = Security.MeshTls.DefaultHandshakeTimeout;

    /// <summary>
    /// How long a request head may take from its first byte to its end, in all (a byte now and then does not restart
    /// it): 408 and the connection closed after it, on the fast path and Kestrel's alike, and the limit for a CONNECT
    /// request's head.
    /// </summary>
    public TimeSpan RequestHeadTimeout { get; init; } = Http1.Http1Relay.DefaultHeadTimeout;

    /// <summary>How long a client connection may idle between requests, on both paths (Kestrel's default, 130 s).</summary>
    public TimeSpan KeepAliveTimeout { get; init; } = Http1.Http1Relay.DefaultKeepAlive;

    /// <summary>
    /// The most connections the outbound and the inbound listener each hold open at once; one more is closed at once
    /// (counted in <c>weft_listener_refused_total</c>). Lowered at start when the process's descriptor limit
    /// (RLIMIT_NOFILE) cannot hold them with their upstream connections.
    /// </summary>
    public int MaxConnections { get; init; } = DefaultMaxConnections;

    /// <summary>Distributed tracing (W3C trace context, spans to an OTLP/HTTP collector); off by default.</summary>
    public Weft.Routing.Tracing.TracingSettings Tracing { get; init; } = Weft.Routing.Tracing.TracingSettings.Off;

    /// <summary>How long finished spans gather before they are posted to the collector (<see cref="Tracing"/>).</summary>
    internal TimeSpan TraceExportInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The most connections the admin listener holds open at once (probes, scrapes, <c>weft</c> commands).</summary>
    public int MaxAdminConnections { get; init; } = 128;

    /// <summary>The default of <see cref="MaxConnections"/>.</summary>
    public const int DefaultMaxConnections = 4096;

    /// <summary>The fast path's limit on an app's silence mid-exchange (504 before a response, a cut one after); tests shorten it.</summary>
    internal TimeSpan Http1ActivityTimeout { get; init; } = Http1.Http1Relay.DefaultActivity;

    /// <summary>
    /// The addresses of external host names, by name (lower case, no trailing dot), from <c>--resolve</c>: the
    /// <see cref="External.ExternalResolver"/>'s static table, which wins over DNS and never expires.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<IPAddress>> Resolve { get; init; } = new Dictionary<string, IReadOnlyList<IPAddress>>();

    /// <summary>
    /// The nameservers external host names are asked of (<c>--nameservers</c>); null: those of <c>/etc/resolv.conf</c>;
    /// empty: none (only <see cref="Resolve"/> names resolve: <c>weft up</c>'s pods as processes, tests).
    /// </summary>
    public IReadOnlyList<IPEndPoint>? Nameservers { get; init; }

    /// <summary>How long protocol detection on an outbound tunnel waits for the client's first bytes before treating it as opaque TCP.</summary>
    public TimeSpan ProtocolDetectionTimeout { get; init; } = TimeSpan.FromMilliseconds(200);
}
