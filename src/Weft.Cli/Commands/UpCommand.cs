using System.CommandLine;
using System.Globalization;
using Weft.Cli.Local;
using Weft.ControlPlane.Kubernetes;
using Weft.Routing;

namespace Weft.Cli.Commands;

/// <summary>
/// <c>weft up DIR</c>: runs the mesh on this machine from a manifests directory (DESIGN.md "Local mode"): the control plane
/// watching DIR, and each Deployment's pods as local processes with their sidecars. Runs until Ctrl-C / SIGTERM, then
/// stops every process it started.
/// </summary>
internal static class UpCommand
{
    public static Command Create()
    {
        var directory = new Argument<string>("DIR") { Description = "The manifests directory (watched: edits apply live)" };
        var readyFile = new Option<string?>("--ready-file") { Description = "Write the mesh state (JSON) here once every pod is ready" };
        var timeout = new Option<int>("--timeout") { Description = "Seconds to wait for the pods to become ready", DefaultValueFactory = _ => 180 };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Show the control plane's log" };
        var caCert = new Option<string?>("--ca-cert") { Description = "A mesh root CA certificate (PEM) to sign workload certificates with, instead of the generated one kept in the run directory" };
        var caKey = new Option<string?>("--ca-key") { Description = "The private key (PEM) of --ca-cert" };
        var workloadCertLifetime = new Option<int>("--workload-cert-lifetime")
        {
            Description = "Seconds an issued workload certificate is valid (sidecars renew at half of it): short values exercise rotation",
            DefaultValueFactory = _ => (int)new Weft.ControlPlane.Identity.CaOptions().WorkloadLifetime.TotalSeconds,
        };
        var defaultInbound = DefaultInboundOption.Create();
        var defaultOutbound = DefaultOutboundOption.Create();
        var mtlsDefault = DefaultMtlsOption.Create();
        var traceCollector = new Option<string?>(ProxyFlags.TraceCollector)
        {
            Description = "The OTLP/HTTP collector every sidecar sends its spans to (e.g. http://127.0.0.1:4318); a pod's weft.dev/trace-collector annotation overrides it. Default: tracing off",
        };
        traceCollector.Validators.Add(r =>
        {
            if (!Weft.Routing.Tracing.TracingSettings.TryParseCollector(r.GetValueOrDefault<string?>(), out _))
            {
                r.AddError($"{ProxyFlags.TraceCollector}: not an http(s) URL or off");
            }
        });
        var traceSampling = new Option<string>(ProxyFlags.TraceSampling)
        {
            Description = "The share (0..1) of requests without a traceparent for which a client sidecar starts a trace; a pod's weft.dev/trace-sampling annotation overrides it",
            DefaultValueFactory = _ => Weft.Routing.Tracing.TracingSettings.DefaultSamplingRate.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        traceSampling.Validators.Add(r =>
        {
            if (!Weft.Routing.Tracing.TracingSettings.TryParseRate(r.GetValueOrDefault<string>(), out _))
            {
                r.AddError($"{ProxyFlags.TraceSampling}: not a number from 0 to 1");
            }
        });
        var isolation = new Option<string>("--isolation")
        {
            Description = "How pods are kept apart: netns (a network namespace each, traffic captured by iptables; needs root), process "
                + "(processes on loopback addresses with proxy settings), or auto (netns when possible)",
            DefaultValueFactory = _ => IsolationNames.Auto,
        };
        isolation.AcceptOnlyFromAmong(IsolationNames.Auto, IsolationNames.Netns, IsolationNames.Process);
        var netnsRange = new Option<string>("--netns-range")
        {
            Description = "The IPv4 range network-namespace pods and Services take their addresses from (a /23 per running mesh)",
            DefaultValueFactory = _ => Local.Netns.NetnsRange.DefaultCidr,
        };
        var kubeconfig = new Option<string?>("--kubeconfig")
        {
            Description = "Play kubelet and controller-manager for this API server: apply DIR through it, record pods and EndpointSlices "
                + "in it, and serve the sidecars from an in-process weft controller that reads it all back",
        };
        var context = new Option<string?>("--context") { Description = "The kubeconfig context to use with --kubeconfig (default: its current-context)" };
        var weftNamespace = new Option<string>("--namespace") { Description = "With --kubeconfig: the controller's namespace (Lease, mesh root Secret, trust bundle)", DefaultValueFactory = _ => WeftInstallation.DefaultNamespace };
        var controlPlane = new Option<string>("--control-plane")
        {
            Description = "Where the control plane runs: in-process (inside weft up) or process (a child process on a fixed address, "
                + "restarted with back-off when it exits; its mesh root and token key survive restarts). Not with --kubeconfig",
            DefaultValueFactory = _ => InProcess,
        };
        controlPlane.AcceptOnlyFromAmong(InProcess, AsProcess);
        var sidecar = SidecarOption.Create();
        var command = new Command("up", "Run the mesh locally from a manifests directory")
        {
            directory, readyFile, timeout, verbose, caCert, caKey, workloadCertLifetime, mtlsDefault, defaultInbound, defaultOutbound, traceCollector, traceSampling, isolation, netnsRange, kubeconfig, context, weftNamespace, controlPlane, sidecar,
        };
        command.SetAction(async (result, ct) =>
        {
            var dir = result.GetValue(directory)!;
            string? progressServer = null;
            if (!Directory.Exists(dir))
            {
                await Console.Error.WriteLineAsync($"weft up: {dir}: no such directory");
                return 2;
            }

            if (result.GetValue(caCert) is null != result.GetValue(caKey) is null)
            {
                await Console.Error.WriteLineAsync("weft up: --ca-cert and --ca-key go together");
                return 2;
            }

            if (result.GetValue(workloadCertLifetime) is var lifetime && lifetime < 10)
            {
                await Console.Error.WriteLineAsync($"weft up: --workload-cert-lifetime {lifetime}: at least 10 seconds");
                return 2;
            }

            var controlPlaneProcess = result.GetValue(controlPlane) == AsProcess;
            Local.Api.ApiServerConnection? apiServer = null;
            if (result.GetValue(kubeconfig) is { } config)
            {
                if (controlPlaneProcess)
                {
                    await Console.Error.WriteLineAsync("weft up: --control-plane process does not go with --kubeconfig: the controller runs inside weft up");
                    return 2;
                }

                if (result.GetValue(caCert) is not null)
                {
                    await Console.Error.WriteLineAsync("weft up: --ca-cert does not go with --kubeconfig: the controller's mesh root is the Secret weft-ca in its namespace");
                    return 2;
                }

                apiServer = new Local.Api.ApiServerConnection { Kubeconfig = Path.GetFullPath(config), Context = result.GetValue(context), Namespace = result.GetValue(weftNamespace)! };
                if (!ClusterConfig.TryResolve(apiServer.Kubeconfig, apiServer.Context, "up", out var resolved))
                {
                    return 2;
                }

                progressServer = resolved.Host;
            }

            Local.Netns.NetnsRange range;
            try
            {
                range = Local.Netns.NetnsRange.Parse(result.GetValue(netnsRange)!);
            }
            catch (FormatException e)
            {
                await Console.Error.WriteLineAsync($"weft up: {e.Message}");
                return 2;
            }

            var (mode, line) = IsolationChoice.Decide(result.GetValue(isolation)!);
            if (mode is not { } chosen)
            {
                await Console.Error.WriteLineAsync($"weft up: --isolation netns: {line}");
                return 2;
            }

            var (weft, sidecarLine) = await SidecarOption.ChooseAsync(result, sidecar, "weft up");
            if (weft is null)
            {
                return 2;
            }

            var progress = TextWriter.Synchronized(Console.Out);
            progress.WriteLine(line);
            progress.WriteLine(sidecarLine);
            LocalMesh started;
            try
            {
                started = await LocalMesh.StartAsync(dir, new LocalMeshOptions
                {
                    Progress = progress,
                    ReadyFile = result.GetValue(readyFile) is { } file ? Path.GetFullPath(file) : null,
                    Verbose = result.GetValue(verbose),
                    Ca = (result.GetValue(caCert) is { } cert
                        ? new Weft.ControlPlane.Identity.CaOptions { RootCertPath = Path.GetFullPath(cert), RootKeyPath = Path.GetFullPath(result.GetValue(caKey)!) }
                        : new()) with
                    { WorkloadLifetime = TimeSpan.FromSeconds(lifetime) },
                    MtlsDefault = Weft.Proxy.Security.MtlsModes.TryParse(MeshLevels.ParseMtls(result.GetValue(mtlsDefault)), out var mtlsMode) ? mtlsMode : Weft.Proxy.Security.MtlsMode.Strict,
                    DefaultInboundPolicy = Weft.Routing.Authorization.DefaultInboundPolicies.Parse(result.GetValue(defaultInbound))!,
                    DefaultOutboundPolicy = OutboundPolicies.Parse(result.GetValue(defaultOutbound))!,
                    Tracing = TracingOf(result.GetValue(traceCollector), result.GetValue(traceSampling)),
                    Isolation = chosen,
                    NetnsRange = range,
                    ApiServer = apiServer,
                    ControlPlaneProcess = controlPlaneProcess,
                    Weft = weft,
                }, ct);
            }
            catch (Exception e) when (e is Local.Netns.NetworkSetupException or InvalidOperationException or UnauthorizedAccessException)
            {
                // Escaped: an API server's refusals of DIR's objects (ApplyRefusedException) quote what the cluster holds.
                TerminalText.Writer(Console.Error).WriteLine($"weft up: {e.Message}");
                return 1;
            }
            catch (Exception e) when (apiServer is not null && e is k8s.Autorest.HttpOperationException or HttpRequestException or k8s.Exceptions.KubeConfigException)
            {
                TerminalText.Writer(Console.Error).WriteLine($"weft up: the API server {progressServer} refused or did not answer: {KubeErrors.Describe(e)}");
                return 1;
            }

            await using var mesh = started;
            progress.WriteLine(apiServer is null
                ? $"control plane at {mesh.ControlPlaneAddress.ToString().TrimEnd('/')}{(mesh.ControlPlaneProcess is { } child ? $" (process {child.Pid})" : "")}, addresses {mesh.AddressBlock}, state {mesh.StatePath}"
                : $"API server {progressServer}: controller at {mesh.ControlPlane.Address.ToString().TrimEnd('/')} (namespace {apiServer.Namespace}), addresses {mesh.AddressBlock}, state {mesh.StatePath}");
            if (LoopbackCollectorWarning(mesh.Isolation, TracingOf(result.GetValue(traceCollector), result.GetValue(traceSampling)).Collector, mesh.Gateway) is { } unreachable)
            {
                progress.WriteLine(unreachable);
            }

            try
            {
                await mesh.WaitUntilReadyAsync(TimeSpan.FromSeconds(result.GetValue(timeout)), ct);
                progress.WriteLine();
                progress.Write(Table(mesh.State()));
                progress.WriteLine();
                progress.WriteLine(mesh.Isolation == Isolation.Netns
                    ? $"ready. Try: weft exec NAMESPACE/DEPLOYMENT -- curl -s http://SERVICE/   or   weft curl --from NAMESPACE/DEPLOYMENT http://SERVICE/   (logs: {mesh.LogDirectory}; Ctrl-C stops)"
                    : $"ready. Try: weft curl --from NAMESPACE/DEPLOYMENT http://SERVICE/   (logs: {mesh.LogDirectory}; Ctrl-C stops)");
            }
            catch (TimeoutException e)
            {
                progress.WriteLine($"warning: {e.Message}");
                progress.Write(Table(mesh.State()));
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // Ctrl-C before every pod was ready: stop as after.
            }

            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
            }

            progress.WriteLine("stopping…");
            return 0;
        });
        return command;
    }

    private const string InProcess = "in-process";
    private const string AsProcess = "process";

    /// <summary>The Services and pods tables printed when the mesh is ready, and by <c>weft status</c>.</summary>
    public static string Table(MeshState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var services = state.Services.Select(s => new[]
        {
            $"{s.Namespace}/{s.Name}",
            s.ClusterIP ?? "None",
            string.Join(",", s.Ports.Select(p => p.Port.ToString(CultureInfo.InvariantCulture) + (p.TargetPort == p.Port.ToString(CultureInfo.InvariantCulture) ? "" : "→" + p.TargetPort) + (p.Name is null ? "" : $"({p.Name})"))),
        }).ToList();
        var pods = state.Pods.Select(p => new[] { $"{p.Namespace}/{p.Name}", p.IP, p.Ready ? "yes" : "no", Mesh(p), p.Ready ? "" : p.Problem ?? "" }).ToList();
        return Format(["SERVICE", "CLUSTER-IP", "PORTS"], services) + "\n" + Format(["POD", "IP", "READY", "MESH", ""], pods);

        // The level its sidecar runs at and its mTLS mode (weft.dev/mesh, weft.dev/mtls): "l7 strict", "l4 permissive", "off".
        static string Mesh(PodState pod) => pod.Level is not { } level ? (pod.HasSidecar ? "?" : MeshLevels.Off)
            : pod.Mtls is { } mtls ? $"{level} {mtls}" : level;
    }

    /// <summary>
    /// A warning when the sidecars cannot reach the collector: in network namespaces a pod's loopback is its own, so a
    /// collector on this machine's 127.0.0.1 gets no span (each sidecar logs its refused exports, <c>weft up</c> said nothing).
    /// </summary>
    internal static string? LoopbackCollectorWarning(Isolation isolation, Uri? collector, System.Net.IPAddress? gateway)
    {
        if (isolation != Isolation.Netns || collector is null
            || !(collector.IsLoopback || (System.Net.IPAddress.TryParse(collector.Host.Trim('[', ']'), out var ip) && System.Net.IPAddress.IsLoopback(ip))))
        {
            return null;
        }

        var there = gateway is null ? "this machine's address on the pods' network" : gateway.ToString();
        return $"warning: --trace-collector {collector}: pods in network namespaces have a loopback of their own, so their sidecars cannot reach a collector on this machine's {collector.Host}; "
            + $"have it listen on {there} (or 0.0.0.0) and pass --trace-collector {collector.Scheme}://{there}:{collector.Port}";
    }

    /// <summary>The mesh's tracing from <c>--trace-collector</c> and <c>--trace-sampling</c> (both validated by then).</summary>
    internal static Weft.Routing.Tracing.TracingSettings TracingOf(string? collector, string? sampling) =>
        Weft.Routing.Tracing.TracingSettings.TryParseCollector(collector, out var endpoint) && endpoint is not null
            ? new(endpoint, Weft.Routing.Tracing.TracingSettings.TryParseRate(sampling, out var rate) ? rate : Weft.Routing.Tracing.TracingSettings.DefaultSamplingRate)
            : Weft.Routing.Tracing.TracingSettings.Off;

    private static string Format(string[] header, List<string[]> rows)
    {
        var all = new List<string[]> { header };
        all.AddRange(rows);
        var widths = Enumerable.Range(0, header.Length).Select(i => all.Max(r => r[i].Length)).ToArray();
        var text = new System.Text.StringBuilder();
        foreach (var row in all)
        {
            text.AppendJoin("  ", row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i]))).Append('\n');
        }

        return string.Join('\n', text.ToString().Split('\n').Select(l => l.TrimEnd()));
    }
}
