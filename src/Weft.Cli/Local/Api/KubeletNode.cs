using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using k8s;
using Weft.ControlPlane.Kubernetes;

namespace Weft.Cli.Local.Api;

/// <summary>
/// The Node the local cluster's pods are bound to (<see cref="EndpointSliceController.NodeName"/>), as its kubelet keeps
/// it in the API server: registered at start (created, or taken over when an earlier run left it) with a Ready
/// condition, its addresses, the well-known labels and a NoSchedule taint (<see cref="Taint"/>: the scheduler must not
/// place a cluster's pods on a node that runs only weft up's); its Lease in <c>kube-node-lease</c> renewed every 10 s
/// (leaseDurationSeconds 40, the kubelet's), and the Ready condition's heartbeat written every minute. Without them the
/// node lifecycle controller takes the node for lost and PodGC deletes the Pods bound to a Node that does not exist.
/// A clean stop deletes the Lease and the Node (after the Pods); a killed run's are taken over by the next.
/// </summary>
internal sealed class KubeletNode : IAsyncDisposable
{
    public const string LeaseNamespace = "kube-node-lease";
    public const string Taint = "weft.dev/local-node";
    public const int LeaseDurationSeconds = 40;
    public static readonly TimeSpan RenewInterval = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan StatusInterval = TimeSpan.FromMinutes(1);

    /// <summary>The Lease's annotation naming the run that holds it: <see cref="RunIdentity"/>.</summary>
    public const string RunAnnotation = "weft.dev/run";

    private readonly IKubernetes _client;
    private readonly string _hostIP;
    private readonly string _run;
    private readonly TextWriter? _progress;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private readonly HashSet<string> _reported = new(StringComparer.Ordinal);
    private JsonObject? _node;
    private JsonObject? _lease;
    private DateTimeOffset _readySince;
    private DateTimeOffset _statusDue;
    private Task _loop = Task.CompletedTask;

    private KubeletNode(IKubernetes client, string hostIP, TextWriter? progress, TimeProvider time, string run)
    {
        _client = client;
        _hostIP = hostIP;
        _run = run;
        _progress = progress;
        _time = time;
    }

    public static string Name => EndpointSliceController.NodeName;

    /// <summary>Registers the Node and takes its Lease (a failure is said and tried again every 10 s), then keeps both fresh.</summary>
    public static async Task<KubeletNode> StartAsync(IKubernetes client, string hostIP, TextWriter? progress, CancellationToken ct, TimeProvider? time = null, string? run = null)
    {
        var node = new KubeletNode(client, hostIP, progress, time ?? TimeProvider.System, run ?? RunIdentity.Current);
        await node.HeartbeatAsync(ct);
        node._loop = Task.Run(() => node.RunAsync(node._stop.Token));
        return node;
    }

    /// <summary>
    /// Refuses to start a second node of this name while another run holds it: two runs would each take the other's Pods
    /// for deleted (and its Services' addresses for stale). A Lease renewed within its duration by another run is held,
    /// unless that run was on this machine and its process is gone (killed: its Lease would hold for up to 40 s more).
    /// An expired Lease, or none, is free.
    /// </summary>
    /// <exception cref="InvalidOperationException">Another run holds the node.</exception>
    public static async Task EnsureFreeAsync(IKubernetes client, CancellationToken ct, TimeProvider? time = null, string? run = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        var lease = await KubeResource.Leases.GetAsync(client, LeaseNamespace, Name, ct);
        var spec = lease?["spec"];
        if (spec?["renewTime"]?.GetValue<string>() is not { } renewed
            || !DateTimeOffset.TryParse(renewed, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var renewTime))
        {
            return;
        }

        var age = (time ?? TimeProvider.System).GetUtcNow() - renewTime;
        var duration = TimeSpan.FromSeconds(spec["leaseDurationSeconds"]?.GetValue<int>() ?? LeaseDurationSeconds);
        var holder = lease!["metadata"]?["annotations"]?[RunAnnotation]?.GetValue<string>();
        if (age >= duration || holder == (run ?? RunIdentity.Current) || (holder is not null && RunIdentity.IsGoneFromThisMachine(holder)))
        {
            return;
        }

        throw new InvalidOperationException(
            $"another weft up runs against this API server: the Lease {LeaseNamespace}/{Name} of the Node its pods are bound to was renewed "
            + $"{Math.Max(0, age.TotalSeconds):0} s ago by {holder ?? "a process that is not weft up"}; two runs would stop and replace each other's pods. "
            + $"Stop that run first (if it was killed on another machine, its Lease expires {Math.Ceiling((duration - age).TotalSeconds):0} s from now)");
    }

    /// <summary>Stops the heartbeat, then deletes the Lease and the Node (the node is going away).</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }

        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await KubeResource.Leases.DeleteAsync(_client, LeaseNamespace, Name, limit.Token);
            await KubeResource.Nodes.DeleteAsync(_client, null, Name, limit.Token);
        }
        catch (Exception e) when (e is not OperationCanceledException || limit.IsCancellationRequested)
        {
            _progress?.WriteLine($"warning: could not delete Node {Name} and its Lease: {KubeErrors.Describe(e)}");
        }

        _stop.Dispose();
    }

    private async Task RunAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(RenewInterval, _time);
        while (await timer.WaitForNextTickAsync(ct))
        {
            await HeartbeatAsync(ct);
        }
    }

    private async Task HeartbeatAsync(CancellationToken ct)
    {
        try
        {
            if (_node is null)
            {
                await RegisterAsync(ct);
            }
            else if (_time.GetUtcNow() >= _statusDue)
            {
                await WriteStatusAsync(ct);
            }

            await RenewLeaseAsync(ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Report($"Node {Name}: {KubeErrors.Describe(e)} (tried again in {RenewInterval.TotalSeconds:0} s; without its Node, the API server's PodGC deletes the Pods bound to it)");
        }
    }

    /// <summary>The kubelet's registerWithAPIServer: create the Node, or take over the one of this name (a run that was killed left it).</summary>
    private async Task RegisterAsync(CancellationToken ct)
    {
        _readySince = _time.GetUtcNow();
        var node = NodeJson();
        JsonObject registered;
        try
        {
            registered = await KubeResource.Nodes.CreateAsync(_client, node, ct);
        }
        catch (Exception e) when (KubeErrors.IsConflict(e))
        {
            registered = await KubeResource.Nodes.CreateOrReplaceAsync(_client, node, keep: null, ct);
        }

        _node = registered;
        await WriteStatusAsync(ct);
    }

    private async Task WriteStatusAsync(CancellationToken ct)
    {
        var body = _node!.DeepClone().AsObject();
        body["status"] = StatusJson();
        try
        {
            _node = await KubeResource.Nodes.ReplaceStatusAsync(_client, body, ct);
        }
        catch (Exception e) when (KubeErrors.IsConflict(e) || KubeErrors.IsNotFound(e))
        {
            // Changed or deleted by someone else: read (or register) it again on the next beat.
            _node = KubeErrors.IsNotFound(e) ? null : await KubeResource.Nodes.GetAsync(_client, null, Name, ct);
            throw;
        }

        _statusDue = _time.GetUtcNow() + StatusInterval;
    }

    /// <summary>The node lease heartbeat: renewTime now, by an update of the Lease last written (created when there is none).</summary>
    private async Task RenewLeaseAsync(CancellationToken ct)
    {
        _lease ??= await KubeResource.Leases.GetAsync(_client, LeaseNamespace, Name, ct);
        if (_lease is null)
        {
            _lease = await KubeResource.Leases.CreateAsync(_client, LeaseJson(new JsonObject { ["metadata"] = new JsonObject() }), ct);
            return;
        }

        try
        {
            _lease = await KubeResource.Leases.ReplaceAsync(_client, LeaseJson(_lease), ct);
        }
        catch (Exception e) when (KubeErrors.IsConflict(e) || KubeErrors.IsNotFound(e))
        {
            _lease = null;
            throw;
        }
    }

    private JsonObject LeaseJson(JsonObject current)
    {
        var metadata = current["metadata"]!.DeepClone().AsObject();
        metadata["name"] = Name;
        metadata["namespace"] = LeaseNamespace;
        var annotations = metadata["annotations"] as JsonObject ?? [];
        annotations[RunAnnotation] = _run;
        metadata["annotations"] = annotations;
        if (_node?["metadata"]?["uid"]?.GetValue<string>() is { } uid)
        {
            // Owned by the Node, as the kubelet's: the garbage collector deletes it with the Node.
            metadata["ownerReferences"] = new JsonArray(new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Node", ["name"] = Name, ["uid"] = uid });
        }

        return new JsonObject
        {
            ["apiVersion"] = "coordination.k8s.io/v1",
            ["kind"] = "Lease",
            ["metadata"] = metadata,
            ["spec"] = new JsonObject
            {
                ["holderIdentity"] = Name,
                ["leaseDurationSeconds"] = LeaseDurationSeconds,
                ["renewTime"] = _time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture),
            },
        };
    }

    /// <summary>GOARCH's name for the machine's architecture, as the kubelet reports it.</summary>
    private static string Arch => RuntimeInformation.OSArchitecture switch
    {
        Architecture.X64 => "amd64",
        Architecture.Arm64 => "arm64",
        var other => other.ToString().ToLowerInvariant(),
    };

    private static JsonObject NodeJson() => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Node",
        ["metadata"] = new JsonObject
        {
            ["name"] = Name,
            ["labels"] = new JsonObject
            {
                ["beta.kubernetes.io/arch"] = Arch,
                ["beta.kubernetes.io/os"] = "linux",
                ["kubernetes.io/arch"] = Arch,
                ["kubernetes.io/hostname"] = Name,
                ["kubernetes.io/os"] = "linux",
            },
        },
        ["spec"] = new JsonObject
        {
            ["taints"] = new JsonArray(new JsonObject { ["key"] = Taint, ["value"] = "true", ["effect"] = "NoSchedule" }),
        },
    };

    private JsonObject StatusJson()
    {
        var now = RouteStatusJson.Timestamp(_time.GetUtcNow());
        return new JsonObject
        {
            ["conditions"] = new JsonArray(new JsonObject
            {
                ["type"] = "Ready",
                ["status"] = "True",
                ["reason"] = "KubeletReady",
                ["message"] = "kubelet is posting ready status",
                ["lastHeartbeatTime"] = now,
                ["lastTransitionTime"] = RouteStatusJson.Timestamp(_readySince),
            }),
            ["addresses"] = new JsonArray(
                new JsonObject { ["type"] = "InternalIP", ["address"] = _hostIP },
                new JsonObject { ["type"] = "Hostname", ["address"] = Name }),
            ["daemonEndpoints"] = new JsonObject { ["kubeletEndpoint"] = new JsonObject { ["Port"] = 0 } },
            ["nodeInfo"] = new JsonObject
            {
                ["machineID"] = "",
                ["systemUUID"] = "",
                ["bootID"] = "",
                ["kernelVersion"] = Environment.OSVersion.Version.ToString(),
                ["osImage"] = RuntimeInformation.OSDescription,
                ["containerRuntimeVersion"] = "weft://local",
                ["kubeletVersion"] = "weft-up",
                ["kubeProxyVersion"] = "",
                ["operatingSystem"] = "linux",
                ["architecture"] = Arch,
            },
        };
    }

    private void Report(string message)
    {
        if (_reported.Add(message))
        {
            _progress?.WriteLine($"warning: {message}");
        }
    }
}
