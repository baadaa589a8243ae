using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using Weft.Routing;

namespace Weft.Proxy;

/// <summary>
/// The sidecar's command line, one definition for both readers: <c>weft-proxy</c> (the Native AOT binary) parses it here,
/// and the <c>weft proxy</c> verb declares <see cref="All"/> for its help and hands its words to <see cref="TryParse"/>.
/// A hand-written parser keeps System.CommandLine out of the AOT sidecar (its size and start-up).
/// </summary>
public static class ProxyArguments
{
    private const int DefaultDetectTimeoutMs = 200;

    /// <summary><c>--idle-trim-seconds</c>' largest value (<see cref="IdleTrim.MaxInterval"/>).</summary>
    private static readonly int MaxIdleTrimSeconds = (int)IdleTrim.MaxInterval.TotalSeconds;

    /// <summary>Every option, in usage order.</summary>
    public static IReadOnlyList<ProxyOption> All { get; } =
    [
        new(ProxyFlags.Pod, "NS/NAME", "The pod this sidecar serves, NAMESPACE/NAME", Required: true),
        new(ProxyFlags.PodIp, "IP", "The pod's IP; the listeners bind on it", Required: true),
        new(ProxyFlags.ServiceAccount, "SA", "The pod's service account (default: default)"),
        new(ProxyFlags.Workload, "NAME", "The pod's workload for the metrics' workload labels: its Deployment or other controller (default: the pod's name)"),
        new(ProxyFlags.ControlPlane, "URL", "The discovery server, e.g. http://127.0.0.1:PORT", Required: true),
        new(ProxyFlags.OutboundPort, "PORT", $"Outbound listener port (default {MeshPorts.Outbound})"),
        new(ProxyFlags.InboundPort, "PORT", $"Inbound listener port (default {MeshPorts.Inbound})"),
        new(ProxyFlags.AdminPort, "PORT", $"Admin port (default {MeshPorts.Admin})"),
        new(ProxyFlags.Mtls, string.Join('|', Security.MtlsModes.Names), "Inbound mTLS mode: strict (plaintext refused; the default) or permissive"),
        new(ProxyFlags.Level, "l7|l4", $"The workload's mesh level ({MeshLevels.Key}): l7 (the default), or l4 (mTLS and L4 routes only)"),
        new(ProxyFlags.DetectTimeout, "MS", $"How long protocol detection waits for a client's first bytes (default {DefaultDetectTimeoutMs})"),
        new(ProxyFlags.MaxConnections, "N", $"The most connections the outbound and the inbound listener each hold at once; more are closed at once (default {ProxyOptions.DefaultMaxConnections}, lowered to fit the descriptor limit)"),
        new(ProxyFlags.HeadTimeout, "MS", $"How long a request head may take in all from its first byte, then 408 (default {(int)Http1.Http1Relay.DefaultHeadTimeout.TotalMilliseconds})"),
        new(ProxyFlags.IdleTrim, "S", $"The sidecar gives memory back to the OS at the end of each interval of S seconds in which its outbound and inbound listeners took no connection and answered no request and it used under 1% of a core (so S to 2S after the last request); 0: never (default {(int)IdleTrim.DefaultInterval.TotalSeconds})"),
        new(ProxyFlags.Capture, null, "The pod's traffic is captured by iptables (weft init): outbound listener on 127.0.0.1, connections served by their original destination"),
        new(ProxyFlags.ControlPlaneCa, "FILE", "PEM roots an https control plane's certificate must chain to (the mesh trust bundle)"),
        new(ProxyFlags.TraceCollector, "URL", "The OTLP/HTTP collector the sidecar's spans go to (its /v1/traces); without it tracing is off"),
        new(ProxyFlags.TraceSampling, "RATE", $"The share (0..1) of requests without a traceparent that start a trace (default {Weft.Routing.Tracing.TracingSettings.DefaultSamplingRate:0.##})"),
        new(ProxyFlags.TokenFile, "FILE", $"A file with the workload token (a projected service-account token), re-read at every renewal; else {MeshWire.TokenVariable}"),
        new(ProxyFlags.Resolve, "NAME=IP[,IP...]", "The addresses of an external host name (an XBackend's), instead of asking DNS; repeatable", Repeatable: true),
        new(ProxyFlags.Nameservers, "IP[:PORT][,...]|none", "The DNS servers external host names are asked of, instead of those of /etc/resolv.conf; none: only --resolve names resolve"),
    ];

    public static string Usage { get; } =
        $"usage: weft-proxy {string.Join(' ', All.Select(o => o.Synopsis))}" +
        $" (the workload token comes from {ProxyFlags.TokenFile}, re-read at every renewal, or the {MeshWire.TokenVariable} environment variable, never the command line)";

    public static bool TryParse(IReadOnlyList<string> args, [NotNullWhen(true)] out ProxyOptions? options, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(args);
        options = null;
        string? pod = null, podIp = null, serviceAccount = null, workload = null, controlPlane = null, controlPlaneCa = null, tokenFile = null;
        var mtls = Security.MtlsMode.Strict;
        var detect = DefaultDetectTimeoutMs;
        var maxConnections = ProxyOptions.DefaultMaxConnections;
        var headTimeout = (int)Http1.Http1Relay.DefaultHeadTimeout.TotalMilliseconds;
        var idleTrim = (int)IdleTrim.DefaultInterval.TotalSeconds;
        var level = MeshLevels.L7;
        var capture = false;
        Uri? traceCollector = null;
        var traceSampling = Weft.Routing.Tracing.TracingSettings.DefaultSamplingRate;
        int outbound = MeshPorts.Outbound, inbound = MeshPorts.Inbound, admin = MeshPorts.Admin;
        var resolve = new Dictionary<string, IReadOnlyList<IPAddress>>(StringComparer.Ordinal);
        IReadOnlyList<IPEndPoint>? nameservers = null;
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (!ProxyFlags.TakesValue(name))
            {
                capture = true; // ProxyFlags.Capture, the one flag: the pod's traffic is captured by iptables (weft init)
                continue;
            }

            if (i + 1 >= args.Count)
            {
                error = $"{name} needs a value";
                return false;
            }

            var value = args[++i];
            switch (name)
            {
                case ProxyFlags.Pod: pod = value; break;
                case ProxyFlags.PodIp: podIp = value; break;
                case ProxyFlags.ServiceAccount: serviceAccount = value; break;
                case ProxyFlags.Workload when WorkloadName.IsObjectName(value): workload = value; break;
                case ProxyFlags.Workload:
                    error = $"{ProxyFlags.Workload}: '{value}' is not a workload name";
                    return false;
                case ProxyFlags.ControlPlane: controlPlane = value; break;
                case ProxyFlags.ControlPlaneCa: controlPlaneCa = value; break;
                case ProxyFlags.TokenFile: tokenFile = value; break;
                case ProxyFlags.OutboundPort when TryPort(value, out outbound): break;
                case ProxyFlags.InboundPort when TryPort(value, out inbound): break;
                case ProxyFlags.AdminPort when TryPort(value, out admin): break;
                case ProxyFlags.Mtls when Security.MtlsModes.TryParse(value, out mtls): break;
                case ProxyFlags.Mtls:
                    error = $"{ProxyFlags.Mtls}: '{value}' is not {string.Join(" or ", Security.MtlsModes.Names)}";
                    return false;
                case ProxyFlags.Level when value is MeshLevels.L4 or MeshLevels.L7:
                    level = value;
                    break;
                case ProxyFlags.Level:
                    error = $"{ProxyFlags.Level}: '{value}' is not l4 or l7 (a pod at level off has no sidecar)";
                    return false;
                case ProxyFlags.DetectTimeout when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out detect) && detect > 0:
                    break;
                case ProxyFlags.MaxConnections when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out maxConnections) && maxConnections > 0:
                    break;
                case ProxyFlags.MaxConnections:
                    error = $"{ProxyFlags.MaxConnections}: '{value}' is not a positive number";
                    return false;
                case ProxyFlags.HeadTimeout when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out headTimeout) && headTimeout > 0:
                    break;
                case ProxyFlags.HeadTimeout:
                    error = $"{ProxyFlags.HeadTimeout}: '{value}' is not a positive number of milliseconds";
                    return false;
                case ProxyFlags.IdleTrim when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out idleTrim) && idleTrim <= MaxIdleTrimSeconds:
                    break;
                case ProxyFlags.IdleTrim:
                    error = $"{ProxyFlags.IdleTrim}: '{value}' is not a number of seconds from 0 (never) to {MaxIdleTrimSeconds}";
                    return false;
                case ProxyFlags.TraceCollector when Weft.Routing.Tracing.TracingSettings.TryParseCollector(value, out traceCollector):
                    break;
                case ProxyFlags.TraceCollector:
                    error = $"{ProxyFlags.TraceCollector}: '{value}' is not an http(s) URL or off";
                    return false;
                case ProxyFlags.TraceSampling when Weft.Routing.Tracing.TracingSettings.TryParseRate(value, out traceSampling):
                    break;
                case ProxyFlags.TraceSampling:
                    error = $"{ProxyFlags.TraceSampling}: '{value}' is not a number from 0 to 1";
                    return false;
                case ProxyFlags.DetectTimeout:
                    error = $"{ProxyFlags.DetectTimeout}: '{value}' is not a positive number of milliseconds";
                    return false;
                case ProxyFlags.Nameservers when TryParseNameservers(value, out nameservers):
                    break;
                case ProxyFlags.Nameservers:
                    error = $"{ProxyFlags.Nameservers}: '{value}' is not none or a list of IP[:PORT]";
                    return false;
                case ProxyFlags.Resolve:
                    if (!TryAddResolve(value, resolve, out error))
                    {
                        return false;
                    }

                    break;
                case ProxyFlags.OutboundPort or ProxyFlags.InboundPort or ProxyFlags.AdminPort:
                    error = $"{name}: '{value}' is not a port (0..65535)";
                    return false;
                default:
                    error = $"unknown option {name}";
                    return false;
            }
        }

        var slash = pod?.IndexOf('/', StringComparison.Ordinal) ?? -1;
        if (pod is null || slash <= 0 || slash == pod.Length - 1)
        {
            error = $"{ProxyFlags.Pod} NS/NAME is required";
            return false;
        }

        if (podIp is null || !IPAddress.TryParse(podIp, out var address))
        {
            error = $"{ProxyFlags.PodIp} IP is required";
            return false;
        }

        if (controlPlane is null || !Uri.TryCreate(controlPlane, UriKind.Absolute, out var uri))
        {
            error = $"{ProxyFlags.ControlPlane} URL is required";
            return false;
        }

        System.Security.Cryptography.X509Certificates.X509Certificate2Collection? roots = null;
        if (controlPlaneCa is not null && uri.Scheme != Uri.UriSchemeHttps)
        {
            error = $"{ProxyFlags.ControlPlaneCa} needs an https {ProxyFlags.ControlPlane}, not {uri}: the token would cross in the clear";
            return false;
        }

        if (controlPlaneCa is not null)
        {
            try
            {
                roots = [];
                roots.ImportFromPemFile(controlPlaneCa);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
            {
                error = $"{ProxyFlags.ControlPlaneCa}: cannot read {controlPlaneCa}: {e.Message}";
                return false;
            }

            if (roots.Count == 0)
            {
                error = $"{ProxyFlags.ControlPlaneCa}: {controlPlaneCa} holds no PEM certificate";
                return false;
            }
        }

        IReadOnlyDictionary<string, Admin.AppProbe> probes = new Dictionary<string, Admin.AppProbe>();
        if (Environment.GetEnvironmentVariable(MeshWire.AppProbesVariable) is { Length: > 0 } probeJson)
        {
            try
            {
                probes = Admin.AppProbes.Parse(probeJson);
            }
            catch (FormatException e)
            {
                error = e.Message;
                return false;
            }
        }

        options = new ProxyOptions
        {
            AppProbes = probes,
            ControlPlaneRoots = roots,
            TokenFile = tokenFile,
            PodNamespace = pod[..slash],
            PodName = pod[(slash + 1)..],
            PodIp = address,
            ServiceAccount = serviceAccount ?? "default",
            Workload = workload,
            ControlPlane = uri,
            OutboundPort = outbound,
            InboundPort = inbound,
            AdminPort = admin,
            Mtls = mtls,
            Level = level,
            Capture = capture,
            ProtocolDetectionTimeout = TimeSpan.FromMilliseconds(detect),
            MaxConnections = maxConnections,
            RequestHeadTimeout = TimeSpan.FromMilliseconds(headTimeout),
            Tracing = new Weft.Routing.Tracing.TracingSettings(traceCollector, traceSampling),
            Resolve = resolve,
            Nameservers = nameservers,
            Token = Environment.GetEnvironmentVariable(MeshWire.TokenVariable) is { Length: > 0 } token ? token : null,
            CompactAfterStart = true, // a sidecar process of its own (weft-proxy, weft proxy)
            IdleTrimInterval = idleTrim == 0 ? null : TimeSpan.FromSeconds(idleTrim),
        };
        error = null;
        return true;
    }

    /// <summary><c>--nameservers</c>: <c>none</c> (no DNS server at all), or servers as <c>IP[:PORT]</c> (port 53 by default), comma-separated.</summary>
    private static bool TryParseNameservers(string value, out IReadOnlyList<IPEndPoint>? nameservers)
    {
        nameservers = null;
        if (value == "none")
        {
            nameservers = [];
            return true;
        }

        var list = new List<IPEndPoint>();
        foreach (var item in value.Split(','))
        {
            // IPEndPoint.TryParse takes "10" for 0.0.0.10: the address must be a literal as --resolve's are.
            var address = item.StartsWith('[') && item.IndexOf(']') is > 0 and var close ? item[1..close]
                : item.Count(c => c == ':') == 1 ? item[..item.IndexOf(':')] : item;
            if (External.ExternalResolver.TryParseLiteral(address, out _) && IPEndPoint.TryParse(item, out var endpoint))
            {
                list.Add(endpoint.Port == 0 ? new IPEndPoint(endpoint.Address, 53) : endpoint);
            }
            else
            {
                return false;
            }
        }

        nameservers = list;
        return list.Count > 0;
    }

    /// <summary>One <c>--resolve NAME=IP[,IP...]</c> into <paramref name="table"/>, by the name as the resolver looks it up.</summary>
    private static bool TryAddResolve(string value, Dictionary<string, IReadOnlyList<IPAddress>> table, [NotNullWhen(false)] out string? error)
    {
        var equals = value.IndexOf('=', StringComparison.Ordinal);
        if (equals < 0)
        {
            error = $"{ProxyFlags.Resolve}: '{value}' is not NAME=IP[,IP...]";
            return false;
        }

        var name = External.ExternalResolver.Normalize(value[..equals]);
        if (name.Length == 0 || External.DnsQuery.ForAddresses(0, name) is null)
        {
            error = $"{ProxyFlags.Resolve}: '{value[..equals]}' in '{value}' is not a host name";
            return false;
        }

        if (table.ContainsKey(name))
        {
            error = $"{ProxyFlags.Resolve}: {name} is given twice";
            return false;
        }

        var addresses = new List<IPAddress>();
        foreach (var address in value[(equals + 1)..].Split(','))
        {
            if (!External.ExternalResolver.TryParseLiteral(address, out var parsed))
            {
                error = $"{ProxyFlags.Resolve}: '{address}' in '{value}' is not an IP address";
                return false;
            }

            addresses.Add(parsed);
        }

        table[name] = addresses;
        error = null;
        return true;
    }

    private static bool TryPort(string value, out int port) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port <= 65535;
}
