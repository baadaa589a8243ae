using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Weft.ControlPlane.Kubernetes;

namespace Weft.Cli.Local.Api;

/// <summary>
/// The Node the local cluster's pods are bound to (<see cref="EndpointSliceController.NodeName"/>), as its kubelet keeps
/// it in the API server: registered at start (created, or taken over when an earlier run left it) with a Ready
/// condition, its addresses, the well-known labels and a NoSchedule taint (<see cref="Taint"/>: the scheduler must not
/// place a cluster's pods on a node that runs only weft up's); its Lease in <c>kube-node-lease</c> renewed every 10 s
/// (leaseDurationSeconds 40, the kubelet's), the Node read at each renewal and registered again when it was deleted,
/// and the Ready condition's heartbeat written every minute. Without them the
/// node lifecycle controller takes the node for lost and PodGC deletes the Pods bound to a Node that does not exist.
/// The Lease is also what makes one run the node's: claimed in one write before anything else is (<see cref="ClaimAsync"/>),
/// renewed only while it is still this run's, and deleted with the Node on a clean stop (after the Pods) only if it
/// still is; a killed run's are taken over by the next.
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

    private const string NotWeftUp = "a process that is not weft up";

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
    private bool _started;
    private string? _lostTo;

    private KubeletNode(IKubernetes client, string hostIP, TextWriter? progress, TimeProvider time, string run)
    {
        _client = client;
        _hostIP = hostIP;
        _run = run;
        _progress = progress;
        _time = time;
    }

    public static string Name => EndpointSliceController.NodeName;

    /// <summary>
    /// Claims the node for this run, or refuses to while another run holds it: two runs would each take the other's Pods
    /// for deleted (and its Services' addresses for stale). The Lease is written in one step, so that of two runs
    /// starting together one wins: created with this run's annotation and renewTime (409 AlreadyExists: another run
    /// created it first), or, when the one there is free, replaced at the resourceVersion just read (409 Conflict: another
    /// run wrote it in between); either way it is read and judged again. A Lease renewed within its duration by another
    /// run is held, unless that run was on this machine and its process is gone (killed: its Lease would hold for up to
    /// 40 s more). An expired Lease, or this run's, is free. The node is registered and kept fresh by <see cref="StartAsync"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">Another run holds the node.</exception>
    public static async Task<KubeletNode> ClaimAsync(IKubernetes client, string hostIP, TextWriter? progress, CancellationToken ct, TimeProvider? time = null, string? run = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        var node = new KubeletNode(client, hostIP, progress, time ?? TimeProvider.System, run ?? RunIdentity.Current);
        try
        {
            for (var attempt = 0; node._lease is null; attempt++)
            {
                var lease = await KubeResource.Leases.GetAsync(client, LeaseNamespace, Name, ct);
                if (lease is not null)
                {
                    node.RefuseIfHeld(lease);
                }

                try
                {
                    node._lease = lease is null
                        ? await KubeResource.Leases.CreateAsync(client, node.LeaseJson(new JsonObject { ["metadata"] = new JsonObject() }), ct)
                        : await KubeResource.Leases.ReplaceAsync(client, node.LeaseJson(lease), ct);
                }
                catch (Exception e) when ((KubeErrors.IsConflict(e) || KubeErrors.IsNotFound(e)) && attempt < 4)
                {
                    // Another run created, wrote or deleted it since it was read: read it again.
                }
            }

            return node;
        }
        catch
        {
            node._stop.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Renews the claimed Lease and registers the Node (a failure is said and tried again every 10 s), then keeps both
    /// fresh until disposed, or until another run has taken the Lease.
    /// </summary>
    public async Task StartAsync(CancellationToken ct)
    {
        _started = true;
        await HeartbeatAsync(ct);
        var timer = new PeriodicTimer(RenewInterval, _time); // before returning: a test's clock moved after this ticks it
        _loop = Task.Run(() => RunAsync(timer, _stop.Token), CancellationToken.None);
    }

    private void RefuseIfHeld(JsonObject lease)
    {
        var spec = lease["spec"];
        if (spec?["renewTime"]?.GetValue<string>() is not { } renewed
            || !DateTimeOffset.TryParse(renewed, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var renewTime))
        {
            return;
        }

        var age = _time.GetUtcNow() - renewTime;
        var duration = TimeSpan.FromSeconds(spec["leaseDurationSeconds"]?.GetValue<int>() ?? LeaseDurationSeconds);
        var holder = HolderOf(lease);
        if (age >= duration || holder == _run || (holder is not null && RunIdentity.IsGoneFromThisMachine(holder)))
        {
            return;
        }

        throw new InvalidOperationException(
            $"another weft up runs against this API server: the Lease {LeaseNamespace}/{Name} of the Node its pods are bound to was renewed "
            + $"{Math.Max(0, age.TotalSeconds):0} s ago by {holder ?? NotWeftUp}; two runs would stop and replace each other's pods. "
            + $"Stop that run first (if it was killed on another machine, its Lease expires {Math.Ceiling((duration - age).TotalSeconds):0} s from now)");
    }

    private static string? HolderOf(JsonObject lease) => lease["metadata"]?["annotations"]?[RunAnnotation]?.GetValue<string>();

    /// <summary>
    /// Stops the heartbeat, then, if this run still holds the Lease, deletes it (at the resourceVersion of its last
    /// write, read again on a conflict) and the Node (the node is going away); another run's are left to it.
    /// </summary>
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
            if (await ReleaseLeaseAsync(limit.Token) is { } holder)
            {
                _progress?.WriteLine($"the Node {Name} and its Lease are left to the run that holds them: {holder}");
            }
            else if (_started)
            {
                await KubeResource.Nodes.DeleteAsync(_client, null, Name, limit.Token);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || limit.IsCancellationRequested)
        {
            _progress?.WriteLine($"warning: could not delete Node {Name} and its Lease: {KubeErrors.Describe(e)}");
        }

        _stop.Dispose();
    }

    /// <summary>Deletes the Lease if it is still this run's; null when it did (or there is none), else the run that holds it.</summary>
    private async Task<string?> ReleaseLeaseAsync(CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var lease = _lease ?? await KubeResource.Leases.GetAsync(_client, LeaseNamespace, Name, ct);
            if (lease is null)
            {
                return null;
            }

            if (HolderOf(lease) != _run)
            {
                return HolderOf(lease) ?? NotWeftUp;
            }

            try
            {
                var precondition = new V1Preconditions { ResourceVersion = KubeResource.ResourceVersionOf(lease) };
                await KubeResource.Leases.DeleteAsync(_client, LeaseNamespace, Name, ct, new V1DeleteOptions { Preconditions = precondition });
                return null;
            }
            catch (Exception e) when (KubeErrors.IsConflict(e) && attempt < 2)
            {
                _lease = null; // written since: read it again
            }
        }
    }

    private async Task RunAsync(PeriodicTimer timer, CancellationToken ct)
    {
        using (timer)
        {
            while (_lostTo is null && await timer.WaitForNextTickAsync(ct))
            {
                await HeartbeatAsync(ct);
            }
        }
    }

    private async Task HeartbeatAsync(CancellationToken ct)
    {
        try
        {
            // The Lease first: a run that no longer holds it must not take the Node over, nor write its status.
            await RenewLeaseAsync(ct);
            if (_lostTo is not null)
            {
                return;
            }

            if (_node is null)
            {
                await RegisterAsync(ct);
            }
            else if (_time.GetUtcNow() >= _statusDue)
            {
                await WriteStatusAsync(ct);
            }
            else if (await KubeResource.Nodes.GetAsync(_client, null, Name, ct) is { } node)
            {
                _node = node; // as it is now (someone may have labelled it): the next status write's base
            }
            else
            {
                await RegisterAgainAsync(ct);
            }

            if (_lostTo is null && _node?["metadata"]?["uid"]?.GetValue<string>() is { } uid
                && uid != _lease?["metadata"]?["ownerReferences"]?[0]?["uid"]?.GetValue<string>())
            {
                // Registered (again) in this beat: the Lease renewed above is owned by no Node, or by the deleted one, which
                // a garbage collector would delete it with. Owned by this Node now, not from the next beat.
                await RenewLeaseAsync(ct);
            }
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
        await WriteStatusAsync(ct, registering: true);
    }

    /// <summary>
    /// The Node was deleted through the API server (<c>kubectl delete node</c>) while this run holds it: registered again,
    /// the same as at start, as a kubelet's node status loop does when it finds its Node gone; otherwise its Pods would be
    /// bound to a Node that does not exist (a real server's PodGC deletes them).
    /// </summary>
    private async Task RegisterAgainAsync(CancellationToken ct)
    {
        _progress?.WriteLine($"Node {Name} was deleted through the API server: registering it again");
        await RegisterAsync(ct);
    }

    private async Task WriteStatusAsync(CancellationToken ct, bool registering = false)
    {
        var body = _node!.DeepClone().AsObject();
        body["status"] = StatusJson();
        try
        {
            _node = await KubeResource.Nodes.ReplaceStatusAsync(_client, body, ct);
        }
        catch (Exception e) when (KubeErrors.IsNotFound(e) && !registering)
        {
            await RegisterAgainAsync(ct);
            return;
        }
        catch (Exception e) when (KubeErrors.IsConflict(e) || KubeErrors.IsNotFound(e))
        {
            // Changed or deleted by someone else: read (or register) it again on the next beat.
            _node = KubeErrors.IsNotFound(e) ? null : await KubeResource.Nodes.GetAsync(_client, null, Name, ct);
            throw;
        }

        _statusDue = _time.GetUtcNow() + StatusInterval;
    }

    /// <summary>
    /// The node lease heartbeat: renewTime now, by an update of the Lease this run last wrote (created again if it was
    /// deleted). When it was written since, it is read again: another run's (it took the node, its Lease having expired
    /// for it), it is left alone and this run stops its heartbeat, saying so once; this run's, it is renewed from there.
    /// </summary>
    private async Task RenewLeaseAsync(CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                _lease = _lease is null
                    ? await KubeResource.Leases.CreateAsync(_client, LeaseJson(new JsonObject { ["metadata"] = new JsonObject() }), ct)
                    : await KubeResource.Leases.ReplaceAsync(_client, LeaseJson(_lease), ct);
                return;
            }
            catch (Exception e) when ((KubeErrors.IsConflict(e) || KubeErrors.IsNotFound(e)) && attempt < 2)
            {
                _lease = await KubeResource.Leases.GetAsync(_client, LeaseNamespace, Name, ct);
                if (_lease is not null && HolderOf(_lease) != _run)
                {
                    _lostTo = HolderOf(_lease) ?? NotWeftUp;
                    _lease = null;
                    _progress?.WriteLine($"warning: another weft up ({_lostTo}) took the node {Name}: this run no longer renews it; stop one of them");
                    return;
                }
            }
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
