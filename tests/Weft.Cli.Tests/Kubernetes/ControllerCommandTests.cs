using System.Diagnostics;
using Weft.Cli.Local;
using Weft.Cli.Tests.Infrastructure;
using Weft.KubeApi.StandIn;
using Weft.Tests.Shared;

namespace Weft.Cli.Tests.Kubernetes;

/// <summary>
/// <c>weft controller --kubeconfig FILE</c> as a user runs it, against the API server stand-in, with the routes applied
/// and read back by kubectl (a client no one here wrote): the status Weft writes shows in <c>kubectl get -o yaml</c>, and
/// when the leading replica is killed (SIGKILL, the Lease not given up) the other one takes over status within the lease.
/// </summary>
public sealed class ControllerCommandTests : IAsyncLifetime
{
    private const string Manifests = """
        apiVersion: v1
        kind: Namespace
        metadata:
          name: weft-system
        ---
        apiVersion: v1
        kind: Namespace
        metadata:
          name: shop
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: cart
          namespace: shop
        spec:
          selector:
            app: cart
          ports:
          - name: http
            port: 80
            targetPort: 8080
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: cart-v2
          namespace: shop
        spec:
          selector:
            app: cart
          ports:
          - name: http
            port: 80
            targetPort: 8080
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata:
          name: cart-canary
          namespace: shop
        spec:
          parentRefs:
          - group: ""
            kind: Service
            name: cart
            port: 80
          rules:
          - backendRefs:
            - name: cart-v2
              port: 80
        """;

    /// <summary>The replicas' Lease (<c>--lease-duration</c>); their retry period is a 7.5th of it.</summary>
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long status may take from a replica being up, or from the leader's death: the Lease running out (one lease)
    /// and the next retry (a 7.5th), then the status write and kubectl's own start-ups, which on a loaded machine take
    /// the most of it: 7.5 leases.
    /// </summary>
    private static readonly TimeSpan StatusWithin = Lease * 7.5;

    /// <summary>
    /// Two controllers' start-ups (a .NET process each, reading the cluster): not what is tested, and with a load average
    /// near 128 on two cores they took over 30 s (neither had printed a line); waited for apart from status.
    /// </summary>
    private static readonly TimeSpan StartUpWithin = TimeSpan.FromSeconds(120);

    private readonly string _work = Directory.CreateTempSubdirectory("weft-controller-").FullName;
    private readonly List<Process> _controllers = [];
    private readonly Dictionary<string, string> _logs = []; // identity → log path, the instance Append locks
    private KubeApiServer? _server;
    private string _kubeconfig = "";

    public async Task InitializeAsync()
    {
        _server = await KubeApiServer.StartAsync(new KubeApiServerOptions
        {
            CrdPaths = [Path.Combine(SharedFiles.Root, "shared", "conformance", "upstream", "crds", "experimental")],
        });
        _kubeconfig = _server.WriteKubeconfig(Path.Combine(_work, "kubeconfig"));
    }

    public async Task DisposeAsync()
    {
        foreach (var controller in _controllers)
        {
            if (!controller.HasExited)
            {
                controller.Kill(entireProcessTree: true);
                await controller.WaitForExitAsync();
            }

            controller.Dispose();
        }

        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        Directory.Delete(_work, recursive: true);
    }

    [KubectlFact]
    public async Task Kubectl_shows_the_status_weft_controller_wrote_and_a_killed_leader_is_replaced_within_the_lease()
    {
        var manifest = Path.Combine(_work, "shop.yaml");
        await File.WriteAllTextAsync(manifest, Manifests);
        await KubectlAsync("apply", "--validate=false", "-f", manifest);

        var a = StartController("replica-a");
        var b = StartController("replica-b");
        foreach (var replica in new[] { "replica-a", "replica-b" })
        {
            await UntilAsync(() => Task.FromResult(LogOf(replica)), l => l.Contains("read the cluster:", StringComparison.Ordinal), $"{replica} started", StartUpWithin);
        }

        var yaml = await UntilAsync(() => KubectlAsync("get", "httproute", "cart-canary", "-n", "shop", "-o", "yaml"),
            y => y.Contains("controllerName: weft.dev/mesh", StringComparison.Ordinal) && y.Contains("reason: ResolvedRefs", StringComparison.Ordinal),
            "kubectl showing Weft's status", StatusWithin);
        Assert.Contains("observedGeneration: 1", yaml, StringComparison.Ordinal);

        var leader = await UntilAsync(() => KubectlAsync("get", "lease", "weft-controller", "-n", "weft-system", "-o", "jsonpath={.spec.holderIdentity}"),
            h => h is "replica-a" or "replica-b", "a leader in the Lease", StatusWithin);
        var (dead, survivor) = leader == "replica-a" ? (a, "replica-b") : (b, "replica-a");
        dead.Kill(entireProcessTree: true);
        await dead.WaitForExitAsync();
        var killed = Stopwatch.StartNew();

        await KubectlAsync("patch", "httproute", "cart-canary", "-n", "shop", "--type", "merge",
            "-p", """{"spec":{"rules":[{"backendRefs":[{"name":"cart-v3","port":80}]}]}}""");
        yaml = await UntilAsync(() => KubectlAsync("get", "httproute", "cart-canary", "-n", "shop", "-o", "yaml"),
            y => y.Contains("reason: BackendNotFound", StringComparison.Ordinal), "the survivor's status for generation 2", StatusWithin);

        Assert.Contains("observedGeneration: 2", yaml, StringComparison.Ordinal);
        Assert.Equal(survivor, await KubectlAsync("get", "lease", "weft-controller", "-n", "weft-system", "-o", "jsonpath={.spec.holderIdentity}"));
        Assert.True(killed.Elapsed < StatusWithin, $"took {killed.Elapsed}");
    }

    [KubectlFact]
    public async Task Kubectl_shows_the_status_weft_controller_wrote_on_an_XBackend_and_its_backend_policies()
    {
        var caLines = string.Join('\n', EgressManifests.NewCaPem().Split('\n').Select(l => "    " + l));
        var manifest = Path.Combine(_work, "egress.yaml");
        await File.WriteAllTextAsync(manifest, string.Join("\n---\n", "apiVersion: v1\nkind: Namespace\nmetadata: {name: weft-system}", EgressManifests.Shop, EgressManifests.XBackend, EgressManifests.TlsPolicy("egress-ca"), $$"""
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: egress-ca, namespace: shop}
            data:
              ca.crt: |
            {{caLines}}
            """));
        await KubectlAsync("apply", "--validate=false", "-f", manifest);

        StartController("replica-a");
        await UntilAsync(() => Task.FromResult(LogOf("replica-a")), l => l.Contains("read the cluster:", StringComparison.Ordinal), "replica-a started", StartUpWithin);

        const string Accepted = """jsonpath={range .status.%s[?(@.controllerName=="weft.dev/mesh")].conditions[?(@.type=="Accepted")]}{.status}/{.reason}{end}""";
        foreach (var (kind, name, list) in new[] { ("xbackend", "api-example", "parents"), ("xbackendtrafficpolicy", "api-budget", "ancestors"), ("backendtlspolicy", "api-tls", "ancestors") })
        {
            await UntilAsync(() => KubectlAsync("get", kind, name, "-n", "shop", "-o", Accepted.Replace("%s", list, StringComparison.Ordinal)),
                a => a == "True/Accepted", $"kubectl showing Weft's Accepted condition on {kind} {name}", StatusWithin);
        }

        var yaml = await KubectlAsync("get", "xbackend", "api-example", "-n", "shop", "-o", "yaml");
        Assert.Contains("controllerName: weft.dev/mesh", yaml, StringComparison.Ordinal);
        Assert.Contains("kind: Service", yaml, StringComparison.Ordinal); // the parent: the Service whose route refers to it
    }

    private Process StartController(string identity)
    {
        var weft = WeftLauncher.Current().Command(
            ["controller", "--kubeconfig", _kubeconfig, "--namespace", "weft-system", "--listen", "127.0.0.1:0", "--identity", identity,
             "--lease-duration", Lease.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        var info = new ProcessStartInfo(CommandRun.Which(weft.FileName)) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in weft.Arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info)!;
        var log = Path.Combine(_work, identity + ".log");
        _logs[identity] = log;
        process.OutputDataReceived += (_, e) => Append(log, e.Data);
        process.ErrorDataReceived += (_, e) => Append(log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _controllers.Add(process);
        return process;
    }

    /// <summary>What the replica has printed so far.</summary>
    private string LogOf(string identity)
    {
        var path = _logs[identity];
        lock (path)
        {
            return File.Exists(path) ? File.ReadAllText(path) : "";
        }
    }

    private static void Append(string path, string? line)
    {
        if (line is not null)
        {
            lock (path)
            {
                File.AppendAllText(path, line + "\n");
            }
        }
    }

    private async Task<string> KubectlAsync(params string[] arguments)
    {
        var run = await CommandRun.RunAsync(KubectlFactAttribute.Kubectl!, ["--kubeconfig", _kubeconfig, .. arguments]);
        Assert.True(run.ExitCode == 0, $"kubectl {string.Join(' ', arguments)}: exit {run.ExitCode}: {run.Stderr}");
        return run.Stdout.Trim();
    }

    private async Task<string> UntilAsync(Func<Task<string>> read, Func<string, bool> condition, string what, TimeSpan within)
    {
        var clock = Stopwatch.StartNew();
        var last = "";
        while (clock.Elapsed < within)
        {
            last = await read();
            if (condition(last))
            {
                return last;
            }

            await Task.Delay(100);
        }

        var logs = string.Join("\n", Directory.EnumerateFiles(_work, "*.log").Select(f => $"--- {Path.GetFileName(f)} ---\n{File.ReadAllText(f)}"));
        throw new TimeoutException($"not within {within.TotalSeconds} s: {what}; last:\n{last}\n{logs}");
    }
}

/// <summary>
/// A test that runs kubectl: Debian's (unpacked by scripts/debian-kubectl.sh, which test.sh runs), else the PATH's;
/// skipped only when there is none.
/// </summary>
internal sealed class KubectlFactAttribute : FactAttribute
{
    public static readonly string? Kubectl =
        (File.Exists("/opt/weft-tools/kubernetes-client/usr/bin/kubectl") ? "/opt/weft-tools/kubernetes-client/usr/bin/kubectl" : null)
        ?? HostProgram.Which("kubectl");

    public KubectlFactAttribute()
    {
        if (Kubectl is null)
        {
            Skip = "no kubectl (test.sh unpacks Debian's kubernetes-client as root)";
        }
    }
}
