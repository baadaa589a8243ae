namespace Weft.Routing;

/// <summary>
/// The names of the sidecar's command-line options, for every writer of its command line (the injector, <c>weft up</c>'s
/// pods and sandboxes) and its readers (<c>Weft.Proxy.ProxyArguments</c>, which holds their meaning, help and parser,
/// and <c>weft proxy</c>, which declares them from it).
/// </summary>
public static class ProxyFlags
{
    public const string Pod = "--pod";
    public const string PodIp = "--pod-ip";
    public const string ServiceAccount = "--service-account";
    public const string ControlPlane = "--control-plane";
    public const string OutboundPort = "--outbound-port";
    public const string InboundPort = "--inbound-port";
    public const string AdminPort = "--admin-port";
    public const string Mtls = "--mtls";
    public const string Level = "--level";
    public const string DetectTimeout = "--detect-timeout-ms";
    public const string Capture = "--capture";
    public const string ControlPlaneCa = "--control-plane-ca";
    public const string TokenFile = "--token-file";
    public const string MaxConnections = "--max-connections";
    public const string HeadTimeout = "--head-timeout-ms";
    public const string IdleTrim = "--idle-trim-seconds";
    public const string Workload = "--workload";
    public const string TraceCollector = "--trace-collector";
    public const string TraceSampling = "--trace-sampling";
    public const string Resolve = "--resolve";
    public const string Nameservers = "--nameservers";

    /// <summary>Whether the option takes the next word as its value: every one but <see cref="Capture"/>, a flag.</summary>
    public static bool TakesValue(string option) => option != Capture;
}
