using System.Globalization;
using System.Net;

namespace Weft.Echo;

/// <summary>
/// What one echo server serves and how it introduces itself. Built from the upstream echo app's
/// command line (<see cref="Parse"/>) plus the environment Weft's local cluster sets for a pod.
/// </summary>
public sealed record EchoOptions
{
    // The upstream echo image (istio/istio pkg/test/echo/cmd/server) defaults, used when a flag is absent.
    public static readonly IReadOnlyList<int> DefaultHttpPorts = [8080];
    public static readonly IReadOnlyList<int> DefaultGrpcPorts = [7070];
    public static readonly IReadOnlyList<int> DefaultTcpPorts = [9090];

    /// <summary>HTTP ports: HTTP/1.1 and h2c prior knowledge on the same port (TLS if also in <see cref="TlsPorts"/>).</summary>
    public IReadOnlyList<int> HttpPorts { get; init; } = DefaultHttpPorts;

    /// <summary>gRPC ports (HTTP/2 only).</summary>
    public IReadOnlyList<int> GrpcPorts { get; init; } = DefaultGrpcPorts;

    /// <summary>TCP echo ports.</summary>
    public IReadOnlyList<int> TcpPorts { get; init; } = DefaultTcpPorts;

    /// <summary>Ports (also listed as HTTP, gRPC or TCP) served over TLS with <see cref="CertificatePath"/>/<see cref="KeyPath"/>.</summary>
    public IReadOnlyList<int> TlsPorts { get; init; } = [];

    public string? CertificatePath { get; init; }

    public string? KeyPath { get; init; }

    public IPAddress BindAddress { get; init; } = IPAddress.Any;

    public string Hostname { get; init; } = Environment.MachineName;

    public string ServiceVersion { get; init; } = "";

    public string Cluster { get; init; } = "";

    public string IstioVersion { get; init; } = "";

    /// <summary>Flags that were recognised but ignored, or not recognised; the caller logs them.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>
    /// Parses the upstream echo app's flags (<c>--port=8080</c> or <c>--port 8080</c>, repeatable, comma lists
    /// allowed; a flag given at all replaces its default, as cobra's IntSlice does) and the pod environment:
    /// <c>WEFT_POD_IP</c> (bind address), <c>HOSTNAME</c>, <c>SERVICE_VERSION</c>, <c>CLUSTER_ID</c>.
    /// </summary>
    /// <exception cref="FormatException">A flag has a value that cannot be used (a bad port or address).</exception>
    public static EchoOptions Parse(IReadOnlyList<string> args, Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        environment ??= Environment.GetEnvironmentVariable;

        var ports = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var flags = new HashSet<string>(StringComparer.Ordinal);
        var warnings = new List<string>();

        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith('-') || arg.Length < 2)
            {
                warnings.Add($"ignoring argument '{arg}'");
                continue;
            }

            var body = arg.TrimStart('-');
            var eq = body.IndexOf('=', StringComparison.Ordinal);
            var name = eq < 0 ? body : body[..eq];
            string? inlineValue = eq < 0 ? null : body[(eq + 1)..];

            switch (name)
            {
                case "port" or "grpc" or "tcp" or "tls":
                    {
                        var value = inlineValue ?? NextValue(args, ref i, name);
                        if (!ports.TryGetValue(name, out var list))
                        {
                            ports[name] = list = [];
                        }

                        list.AddRange(ParsePorts(name, value));
                        break;
                    }

                case "crt" or "key" or "version" or "cluster" or "istio-version" or "bind":
                    values[name] = inlineValue ?? NextValue(args, ref i, name);
                    break;

                case "bind-ip" or "bind-localhost":
                    if (inlineValue is null || bool.Parse(inlineValue))
                    {
                        flags.Add(name);
                    }

                    break;

                default:
                    warnings.Add($"ignoring unsupported flag '{arg}'");
                    break;
            }
        }

        var podIp = environment("WEFT_POD_IP") ?? environment("INSTANCE_IP");
        var bind = IPAddress.Any;
        if (values.TryGetValue("bind", out var bindText))
        {
            bind = ParseAddress("bind", bindText);
        }
        else if (flags.Contains("bind-localhost"))
        {
            bind = IPAddress.Loopback;
        }
        else if (!string.IsNullOrEmpty(podIp))
        {
            bind = ParseAddress("WEFT_POD_IP", podIp);
        }

        return new EchoOptions
        {
            HttpPorts = Distinct(ports, "port", DefaultHttpPorts),
            GrpcPorts = Distinct(ports, "grpc", DefaultGrpcPorts),
            TcpPorts = Distinct(ports, "tcp", DefaultTcpPorts),
            TlsPorts = Distinct(ports, "tls", []),
            CertificatePath = values.GetValueOrDefault("crt"),
            KeyPath = values.GetValueOrDefault("key"),
            BindAddress = bind,
            Hostname = NonEmpty(environment("HOSTNAME")) ?? Environment.MachineName,
            // The upstream flag wins; local mode passes the pod's `version` label as SERVICE_VERSION.
            ServiceVersion = NonEmpty(values.GetValueOrDefault("version")) ?? environment("SERVICE_VERSION") ?? "",
            Cluster = NonEmpty(values.GetValueOrDefault("cluster")) ?? environment("CLUSTER_ID") ?? "",
            IstioVersion = values.GetValueOrDefault("istio-version") ?? "",
            Warnings = warnings,
        };
    }

    private static string NextValue(IReadOnlyList<string> args, ref int i, string name)
    {
        if (i + 1 >= args.Count)
        {
            throw new FormatException($"flag --{name} needs a value");
        }

        i++;
        return args[i];
    }

    private static IEnumerable<int> ParsePorts(string name, string value)
    {
        foreach (var part in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > IPEndPoint.MaxPort)
            {
                throw new FormatException($"flag --{name}: '{part}' is not a port");
            }

            yield return port;
        }
    }

    private static IPAddress ParseAddress(string name, string value) =>
        IPAddress.TryParse(value, out var address) ? address : throw new FormatException($"{name}: '{value}' is not an IP address");

    private static int[] Distinct(Dictionary<string, List<int>> ports, string name, IReadOnlyList<int> fallback) =>
        ports.TryGetValue(name, out var list) ? [.. list.Distinct()] : [.. fallback];

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
