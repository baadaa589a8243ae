using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;

namespace Weft.Proxy;

/// <summary>The sidecar's command line, shared by <c>weft-proxy</c> and the <c>weft proxy</c> verb.</summary>
public static class ProxyArguments
{
    public const string Usage =
        "usage: weft-proxy --pod NS/NAME --pod-ip IP --service-account SA --control-plane URL " +
        "[--outbound-port 15001] [--inbound-port 15006] [--admin-port 15000] [--mtls strict|permissive] [--level l7|l4] [--detect-timeout-ms 200] [--capture]" +
        " [--control-plane-ca FILE] [--token-file FILE]" +
        " (the workload token comes from --token-file, re-read at every renewal, or the WEFT_TOKEN environment variable, never the command line)";

    public static bool TryParse(IReadOnlyList<string> args, [NotNullWhen(true)] out ProxyOptions? options, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(args);
        options = null;
        string? pod = null, podIp = null, serviceAccount = null, controlPlane = null, controlPlaneCa = null, tokenFile = null;
        var mtls = Security.MtlsMode.Strict;
        var detect = 200;
        var level = "l7";
        var capture = false;
        int outbound = ProxyOptions.DefaultOutboundPort, inbound = ProxyOptions.DefaultInboundPort, admin = ProxyOptions.DefaultAdminPort;
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (name == "--capture")
            {
                capture = true; // a flag: the pod's traffic is captured by iptables (weft init)
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
                case "--pod": pod = value; break;
                case "--pod-ip": podIp = value; break;
                case "--service-account": serviceAccount = value; break;
                case "--control-plane": controlPlane = value; break;
                case "--control-plane-ca": controlPlaneCa = value; break;
                case "--token-file": tokenFile = value; break;
                case "--outbound-port" when TryPort(value, out outbound): break;
                case "--inbound-port" when TryPort(value, out inbound): break;
                case "--admin-port" when TryPort(value, out admin): break;
                case "--mtls" when value is "strict" or "permissive":
                    mtls = value == "strict" ? Security.MtlsMode.Strict : Security.MtlsMode.Permissive;
                    break;
                case "--mtls":
                    error = $"--mtls: '{value}' is not strict or permissive";
                    return false;
                case "--level" when value is "l4" or "l7":
                    level = value;
                    break;
                case "--level":
                    error = $"--level: '{value}' is not l4 or l7 (a pod at level off has no sidecar)";
                    return false;
                case "--detect-timeout-ms" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out detect) && detect > 0:
                    break;
                case "--detect-timeout-ms":
                    error = $"--detect-timeout-ms: '{value}' is not a positive number of milliseconds";
                    return false;
                case "--outbound-port" or "--inbound-port" or "--admin-port":
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
            error = "--pod NS/NAME is required";
            return false;
        }

        if (podIp is null || !IPAddress.TryParse(podIp, out var address))
        {
            error = "--pod-ip IP is required";
            return false;
        }

        if (controlPlane is null || !Uri.TryCreate(controlPlane, UriKind.Absolute, out var uri))
        {
            error = "--control-plane URL is required";
            return false;
        }

        System.Security.Cryptography.X509Certificates.X509Certificate2Collection? roots = null;
        if (controlPlaneCa is not null && uri.Scheme != Uri.UriSchemeHttps)
        {
            error = $"--control-plane-ca needs an https --control-plane, not {uri}: the token would cross in the clear";
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
                error = $"--control-plane-ca: cannot read {controlPlaneCa}: {e.Message}";
                return false;
            }

            if (roots.Count == 0)
            {
                error = $"--control-plane-ca: {controlPlaneCa} holds no PEM certificate";
                return false;
            }
        }

        IReadOnlyDictionary<string, Admin.AppProbe> probes = new Dictionary<string, Admin.AppProbe>();
        if (Environment.GetEnvironmentVariable(Admin.AppProbes.Variable) is { Length: > 0 } probeJson)
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
            ControlPlane = uri,
            OutboundPort = outbound,
            InboundPort = inbound,
            AdminPort = admin,
            Mtls = mtls,
            Level = level,
            Capture = capture,
            ProtocolDetectionTimeout = TimeSpan.FromMilliseconds(detect),
            Token = Environment.GetEnvironmentVariable("WEFT_TOKEN") is { Length: > 0 } token ? token : null,
            CompactAfterStart = true, // a sidecar process of its own (weft-proxy, weft proxy)
        };
        error = null;
        return true;
    }

    private static bool TryPort(string value, out int port) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port <= 65535;
}
