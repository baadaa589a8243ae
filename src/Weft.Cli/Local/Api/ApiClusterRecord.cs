using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Weft.Api.Model;
using Weft.ControlPlane.Identity;
using Weft.ControlPlane.Injection;
using Weft.ControlPlane.Kubernetes;
using Weft.Routing;

namespace Weft.Cli.Local.Api;

/// <summary>
/// The local cluster's record kept in an API server (<c>weft up --kubeconfig</c>), as a kubelet and the EndpointSlice
/// controller keep theirs: each pod is created as a Pod before its containers start, then its IP, Ready condition and
/// containers' states are written through the status subresource whenever they differ from what was last written;
/// EndpointSlices are created, updated and deleted as they are derived (labelled
/// <c>endpointslice.kubernetes.io/managed-by</c>); a pod that has stopped is deleted with grace 0 and its uid as
/// precondition (a graceful delete would only mark it terminating, for its kubelet). Each sidecar's credential is
/// what a projected service-account token volume gives one: a TokenRequest for audience <see cref="Audience"/> bound to
/// its Pod, in a file (0600) passed with <c>--token-file</c> and renewed at 80% of its lifetime, beside the trust bundle
/// (<c>--control-plane-ca</c>). Writes happen on one loop, the newest desired state at a time; a failed write is
/// retried on the next pass.
/// </summary>
internal sealed class ApiClusterRecord : ClusterRecord
{
    public const string Audience = "weft";
    private static readonly TimeSpan TokenLifetime = TimeSpan.FromHours(1);
    private static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(1);

    private readonly IKubernetes _client;
    private readonly string _credentialDirectory;
    private readonly string _trustBundleFile;
    private readonly string _hostIP;
    private readonly TextWriter? _progress;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, RecordedPod> _pods = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string Content, JsonObject Object)> _slices = new(StringComparer.Ordinal);
    private readonly HashSet<string> _reported = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _stop = new();
    private (IReadOnlyList<PodStatus> Pods, IReadOnlyList<EndpointSlice> Slices) _desired = ([], []);
    private long _desiredGeneration;
    private long _writtenGeneration = -1;
    private TaskCompletionSource _writtenSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _loop = Task.CompletedTask;

    public ApiClusterRecord(IKubernetes client, string credentialDirectory, string trustBundlePem, string hostIP, TextWriter? progress, TimeProvider? time = null)
    {
        _client = client;
        _credentialDirectory = credentialDirectory;
        _hostIP = hostIP;
        _progress = progress;
        _time = time ?? TimeProvider.System;
        Directory.CreateDirectory(credentialDirectory);
        _trustBundleFile = Path.Combine(credentialDirectory, "ca.crt");
        IdentityFiles.WriteAtomically(_trustBundleFile, System.Text.Encoding.ASCII.GetBytes(trustBundlePem), secret: false, overwrite: true);
    }

    /// <summary>Where a pod's token file is (it exists once the pod is registered).</summary>
    public string TokenFile(LocalPod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        return Path.Combine(_credentialDirectory, $"{pod.Namespace}_{pod.Name}.token");
    }

    public void Start() => _loop = Task.Run(() => RunAsync(_stop.Token));

    /// <summary>
    /// Deletes the Pods bound to this node that an earlier run left (a run that was killed: its processes are gone, and
    /// with the Node taken over and kept Ready, nothing else would ever delete them), as a kubelet deletes with grace 0
    /// the pods it no longer runs. Called once the node is this run's and before it records a pod of its own. Returns how
    /// many.
    /// </summary>
    public async Task<int> SweepLeftoversAsync(CancellationToken ct)
    {
        var swept = 0;
        foreach (var pod in await KubeResource.Pods.ListAllAsync(_client, ct))
        {
            if (pod["spec"]?["nodeName"]?.GetValue<string>() != EndpointSliceController.NodeName)
            {
                continue;
            }

            var (ns, name) = (pod["metadata"]!["namespace"]!.GetValue<string>(), KubeResource.NameOf(pod));
            if (await DeleteStoppedPodAsync(ns, name, UidOf(pod), ct) is not null)
            {
                swept++;
            }
        }

        return swept;
    }

    public override IReadOnlyList<string> SidecarArguments(LocalPod pod) =>
        [ProxyFlags.TokenFile, TokenFile(pod), ProxyFlags.ControlPlaneCa, _trustBundleFile];

    public override IReadOnlyDictionary<string, string> ProjectedFiles(LocalPod pod) => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [SidecarInjector.TokenFileName] = TokenFile(pod),
        [SidecarInjector.TrustBundleFileName] = _trustBundleFile,
    };

    public override async Task RegisterAsync(LocalPod pod, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(pod);
        try
        {
            await EnsureServiceAccountAsync(pod.Namespace, pod.Object.Spec.ServiceAccountName, ct);
            JsonObject created;
            try
            {
                created = await KubeResource.Pods.CreateAsync(_client, PodJson(pod), ct);
            }
            catch (Exception e) when (KubeErrors.IsConflict(e))
            {
                // Created by an earlier attempt whose answer was lost: that one is this pod.
                created = await KubeResource.Pods.GetAsync(_client, pod.Namespace, pod.Name, ct) ?? throw new InvalidOperationException($"Pod {pod.Key} exists and does not");
            }

            Written.Note(KubeResource.Pods, KubeResource.ResourceVersionOf(created));
            lock (_gate)
            {
                if (_pods.TryGetValue(pod.Key, out var earlier))
                {
                    earlier.Pod.ContainersChanged -= OnContainersChanged;
                }

                _pods[pod.Key] = new RecordedPod(pod, created, _desiredGeneration);

                // In the lock, with the pod recorded: a dispose (which unsubscribes the recorded pods) is before or after both.
                pod.ContainersChanged -= OnContainersChanged; // registered again after a failed attempt: once
                pod.ContainersChanged += OnContainersChanged;
            }

            await IssueTokenAsync(pod, created, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new InvalidOperationException($"recording the Pod in the API server: {KubeErrors.Describe(e)}", e);
        }

        Wake();
    }

    public override void Publish(IReadOnlyList<PodStatus> pods, IReadOnlyList<EndpointSlice> slices)
    {
        lock (_gate)
        {
            _desired = (pods, slices);
            _desiredGeneration++;
        }

        Wake();
    }

    /// <summary>The versions this record's writes returned, per resource (a reader that reached them has seen them).</summary>
    public WrittenVersions Written { get; } = new();

    /// <summary>Waits until everything published so far is written to the API server (see <see cref="Written"/>).</summary>
    public async Task WaitForWrittenAsync(CancellationToken ct)
    {
        long wanted;
        lock (_gate)
        {
            wanted = _desiredGeneration;
        }

        while (true)
        {
            Task signal;
            lock (_gate)
            {
                if (_writtenGeneration >= wanted)
                {
                    return;
                }

                signal = _writtenSignal.Task;
            }

            await signal.WaitAsync(ct);
        }
    }

    /// <summary>
    /// Stops writing, then deletes the Pods and EndpointSlices this record made (the node is going away), and each pod's
    /// token file, as a kubelet's projected volume goes with its pod, whether or not the API deletion succeeds.
    /// </summary>
    public override async ValueTask DisposeAsync()
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
        List<(KubeResource, string, string, string?)> doomed;
        List<string> tokens;
        lock (_gate)
        {
            doomed = [.. _slices.Values.Select(s => (KubeResource.EndpointSlices, s.Object["metadata"]!["namespace"]!.GetValue<string>(), KubeResource.NameOf(s.Object), (string?)null)),
                .. _pods.Values.Select(p => (KubeResource.Pods, p.Pod.Namespace, p.Pod.Name, UidOf(p.Object)))];
            tokens = [.. _pods.Values.Select(p => TokenFile(p.Pod))];
            foreach (var pod in _pods.Values)
            {
                pod.Pod.ContainersChanged -= OnContainersChanged;
            }

            _slices.Clear();
            _pods.Clear();
        }

        foreach (var token in tokens)
        {
            TryDelete(token);
        }

        foreach (var (kind, ns, name, uid) in doomed)
        {
            try
            {
                // The local cluster has stopped every pod before this (the Pods go as a kubelet's, with grace 0).
                _ = kind == KubeResource.Pods ? await DeleteStoppedPodAsync(ns, name, uid, limit.Token) : await kind.DeleteAsync(_client, ns, name, limit.Token);
            }
            catch (Exception e) when (e is not OperationCanceledException || limit.IsCancellationRequested)
            {
                _progress?.WriteLine($"warning: could not delete {kind} {ns}/{name}: {KubeErrors.Describe(e)}");
                if (limit.IsCancellationRequested)
                {
                    break;
                }
            }
        }

        _stop.Dispose();
        await base.DisposeAsync();
    }

    private void OnContainersChanged(LocalPod pod) => Wake();

    private void Wake()
    {
        if (_wake.CurrentCount == 0)
        {
            _wake.Release();
        }
    }

    private async Task RunAsync(CancellationToken ct)
    {
        var failed = false;
        while (!ct.IsCancellationRequested)
        {
            // A failed pass is tried again soon; otherwise wake for changes, and now and then for token renewals.
            await _wake.WaitAsync(failed ? RetryInterval : TimeSpan.FromSeconds(30), ct);
            long generation;
            (IReadOnlyList<PodStatus> Pods, IReadOnlyList<EndpointSlice> Slices) desired;
            lock (_gate)
            {
                generation = _desiredGeneration;
                desired = _desired;
            }

            try
            {
                failed = !await WriteAsync(generation, desired.Pods, desired.Slices, ct);
                if (!failed)
                {
                    TaskCompletionSource written;
                    lock (_gate)
                    {
                        _writtenGeneration = Math.Max(_writtenGeneration, generation);
                        written = _writtenSignal;
                        _writtenSignal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    }

                    written.TrySetResult();
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                failed = true;
                Report($"writing pods and EndpointSlices to the API server: {KubeErrors.Describe(e)}");
            }
        }
    }

    /// <summary>One pass: pod statuses, tokens due for renewal, deleted pods, EndpointSlices. False when a write failed.</summary>
    private async Task<bool> WriteAsync(long generation, IReadOnlyList<PodStatus> pods, IReadOnlyList<EndpointSlice> slices, CancellationToken ct)
    {
        var ok = true;
        var desiredPods = pods.ToDictionary(p => p.Pod.Key, StringComparer.Ordinal);
        List<RecordedPod> recorded;
        lock (_gate)
        {
            recorded = [.. _pods.Values];
        }

        foreach (var pod in recorded)
        {
            try
            {
                if (!desiredPods.TryGetValue(pod.Pod.Key, out var status) || !ReferenceEquals(status.Pod, pod.Pod.Object))
                {
                    if (generation <= pod.RegisteredAt)
                    {
                        // A desired state published no later than the pod was registered: it is not gone, it is new. The
                        // local cluster starts a pod (which registers it) before it publishes the state that names it, so
                        // the state current at registration may not name it yet; only one published after can say it is gone.
                        continue;
                    }

                    // Stopped (or not this pod any more): a kubelet's pod that is gone is deleted.
                    await Written.NoteDeletionAsync(_client, KubeResource.Pods, await DeleteStoppedPodAsync(pod.Pod.Namespace, pod.Pod.Name, UidOf(pod.Object), ct), ct);
                    lock (_gate)
                    {
                        if (_pods.TryGetValue(pod.Pod.Key, out var current) && current == pod)
                        {
                            _pods.Remove(pod.Pod.Key);
                        }
                    }

                    pod.Pod.ContainersChanged -= OnContainersChanged;

                    TryDelete(TokenFile(pod.Pod));
                    continue;
                }

                // As a kubelet's status manager: written when it differs from what was last written (readiness, or a
                // container's state, restarts, waiting reason), ready or not, and not otherwise.
                var containers = pod.Pod.ContainerStates();
                if (pod.WrittenReady != status.Ready || !pod.WrittenContainers.SequenceEqual(containers))
                {
                    await WritePodStatusAsync(pod, status.Ready, containers, ct);
                }

                if (_time.GetUtcNow() >= pod.TokenRenewal)
                {
                    await IssueTokenAsync(pod.Pod, pod.Object, ct);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                ok = false;
                Report($"Pod {pod.Pod.Key}: {KubeErrors.Describe(e)}");
            }
        }

        var desiredSlices = slices.ToDictionary(s => $"{s.Namespace}/{s.Name}", StringComparer.Ordinal);
        foreach (var (key, slice) in desiredSlices)
        {
            var json = SliceJson(slice);
            var content = json.ToJsonString();
            lock (_gate)
            {
                if (_slices.TryGetValue(key, out var written) && written.Content == content)
                {
                    continue;
                }
            }

            try
            {
                var result = await KubeResource.EndpointSlices.CreateOrReplaceAsync(_client, json, keep: null, ct);
                Written.Note(KubeResource.EndpointSlices, KubeResource.ResourceVersionOf(result));
                lock (_gate)
                {
                    _slices[key] = (content, result);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                ok = false;
                Report($"EndpointSlice {key}: {KubeErrors.Describe(e)}");
            }
        }

        List<string> gone;
        lock (_gate)
        {
            gone = [.. _slices.Keys.Where(k => !desiredSlices.ContainsKey(k))];
        }

        foreach (var key in gone)
        {
            var slash = key.IndexOf('/', StringComparison.Ordinal);
            try
            {
                await Written.NoteDeletionAsync(_client, KubeResource.EndpointSlices, await KubeResource.EndpointSlices.DeleteAsync(_client, key[..slash], key[(slash + 1)..], ct), ct);
                lock (_gate)
                {
                    _slices.Remove(key);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                ok = false;
                Report($"EndpointSlice {key}: {KubeErrors.Describe(e)}");
            }
        }

        return ok;
    }

    private async Task WritePodStatusAsync(RecordedPod pod, bool ready, IReadOnlyList<ContainerState> containers, CancellationToken ct)
    {
        var current = pod.Object;
        for (var attempt = 0; ; attempt++)
        {
            var body = current.DeepClone().AsObject();
            body["status"] = PodStatusJson(pod.Pod, ready, containers, current);
            try
            {
                pod.Object = await KubeResource.Pods.ReplaceStatusAsync(_client, body, ct);
                Written.Note(KubeResource.Pods, KubeResource.ResourceVersionOf(pod.Object));
                pod.Wrote(ready, containers);
                return;
            }
            catch (Exception e) when (KubeErrors.IsNotFound(e))
            {
                // Deleted through the API at once (a force delete): the local cluster stops the pod, nothing to write.
                pod.Wrote(ready, containers);
                return;
            }
            catch (Exception e) when (KubeErrors.IsConflict(e) && attempt < 3)
            {
                if (await KubeResource.Pods.GetAsync(_client, pod.Pod.Namespace, pod.Pod.Name, ct) is not { } read)
                {
                    // Deleted meanwhile: a real server's force delete is a MODIFIED (deletionTimestamp) then a DELETED, so
                    // a write between them conflicts and the read finds nothing. As above: nothing to write.
                    pod.Wrote(ready, containers);
                    return;
                }

                current = read;
            }
        }
    }

    /// <summary>
    /// The kubelet's delete of a pod whose containers have stopped: grace period 0 (a bound Pod is otherwise only marked
    /// terminating, for its kubelet to stop) on the condition that it is still this pod (its uid). Null when it was gone
    /// already, or the name is another pod's now.
    /// </summary>
    private async Task<string?> DeleteStoppedPodAsync(string ns, string name, string? uid, CancellationToken ct)
    {
        try
        {
            return await KubeResource.Pods.DeleteAsync(_client, ns, name, ct, new V1DeleteOptions
            {
                GracePeriodSeconds = 0,
                Preconditions = uid is null ? null : new V1Preconditions { Uid = uid },
            });
        }
        catch (Exception e) when (KubeErrors.IsConflict(e))
        {
            return null;
        }
    }

    private static string? UidOf(JsonObject pod) => pod["metadata"]?["uid"]?.GetValue<string>();

    /// <summary>The pod's ServiceAccount, made when missing (a namespace's <c>default</c> one, as a cluster has it).</summary>
    private Task<bool> EnsureServiceAccountAsync(string ns, string name, CancellationToken ct) =>
        KubeResource.ServiceAccounts.CreateIfMissingAsync(_client, new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ServiceAccount",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
        }, ct);

    /// <summary>A projected service-account token: TokenRequest bound to the Pod (name and uid), written to the pod's token file.</summary>
    private async Task IssueTokenAsync(LocalPod pod, JsonObject podObject, CancellationToken ct)
    {
        var request = new Authenticationv1TokenRequest
        {
            Spec = new V1TokenRequestSpec
            {
                Audiences = [Audience],
                ExpirationSeconds = (long)TokenLifetime.TotalSeconds,
                BoundObjectRef = new V1BoundObjectReference
                {
                    ApiVersion = "v1",
                    Kind = "Pod",
                    Name = pod.Name,
                    Uid = podObject["metadata"]?["uid"]?.GetValue<string>(),
                },
            },
        };
        var issued = await _client.CoreV1.CreateNamespacedServiceAccountTokenAsync(request, pod.Object.Spec.ServiceAccountName, pod.Namespace, cancellationToken: ct);
        IdentityFiles.WriteAtomically(TokenFile(pod), System.Text.Encoding.ASCII.GetBytes(issued.Status.Token), secret: true, overwrite: true);
        lock (_gate)
        {
            if (_pods.TryGetValue(pod.Key, out var recorded))
            {
                // kubelet renews a projected token at 80% of its lifetime.
                recorded.TokenRenewal = _time.GetUtcNow() + (TokenLifetime * 0.8);
            }
        }
    }

    /// <summary>The pod as the kubelet's API object: the one the local cluster runs (with the injector's containers when it has a sidecar), on this node.</summary>
    private static JsonObject PodJson(LocalPod pod)
    {
        var json = pod.Json.DeepClone().AsObject();
        ((JsonObject)json["spec"]!)["nodeName"] = EndpointSliceController.NodeName;
        return json;
    }

    /// <summary>
    /// The status to write over <paramref name="written"/> (the Pod as last written, or as read back): as a kubelet's,
    /// Ready's and ContainersReady's <c>lastTransitionTime</c> moves only when the condition's status flips, not at each
    /// write (a container restarting in a pod never Ready is written at each restart, and is not "just now" not ready).
    /// </summary>
    private JsonObject PodStatusJson(LocalPod pod, bool ready, IReadOnlyList<ContainerState> containers, JsonObject written)
    {
        var now = RouteStatusJson.Timestamp(_time.GetUtcNow());
        var started = RouteStatusJson.Timestamp(pod.Object.Metadata.CreationTimestamp ?? _time.GetUtcNow());
        var readiness = ready ? "True" : "False";
        string Since(string type) =>
            (written["status"]?["conditions"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(c => c["type"]?.GetValue<string>() == type) is { } condition
            && condition["status"]?.GetValue<string>() == readiness
            && condition["lastTransitionTime"]?.GetValue<string>() is { } since
                ? since
                : now;
        return new JsonObject
        {
            ["phase"] = "Running",
            ["hostIP"] = _hostIP,
            ["podIP"] = pod.IP.ToString(),
            ["podIPs"] = new JsonArray(new JsonObject { ["ip"] = pod.IP.ToString() }),
            ["startTime"] = started,
            ["conditions"] = new JsonArray(
                new JsonObject { ["type"] = "PodScheduled", ["status"] = "True", ["lastTransitionTime"] = started },
                new JsonObject { ["type"] = "Initialized", ["status"] = "True", ["lastTransitionTime"] = started },
                new JsonObject { ["type"] = "ContainersReady", ["status"] = readiness, ["lastTransitionTime"] = Since("ContainersReady") },
                new JsonObject { ["type"] = "Ready", ["status"] = readiness, ["lastTransitionTime"] = Since("Ready") }),
            ["containerStatuses"] = ContainerStatusesJson(pod, ready, containers),
        };
    }

    /// <summary>
    /// <c>status.containerStatuses</c> as a kubelet writes it, one per container of the Pod's spec (<c>kubectl get pods</c>
    /// counts READY from them, <c>describe</c> shows their state and RESTARTS their restarts): ready while running in a
    /// ready pod; running since its process started, or waiting (CrashLoopBackOff after an exit, else ContainerCreating);
    /// the last exit as <c>lastState.terminated</c>. Weft's containers run as processes, so there is no image ID or
    /// container ID to give.
    /// </summary>
    private static JsonArray ContainerStatusesJson(LocalPod pod, bool ready, IReadOnlyList<ContainerState> containers)
    {
        var states = containers.ToDictionary(s => s.Name, StringComparer.Ordinal);
        var statuses = new JsonArray();
        foreach (var container in pod.Json["spec"]?["containers"] as JsonArray ?? [])
        {
            var name = container?["name"]?.GetValue<string>() ?? "";
            states.TryGetValue(name, out var state);
            var status = new JsonObject
            {
                ["name"] = name,
                ["image"] = container?["image"]?.GetValue<string>() ?? "",
                ["imageID"] = "",
                ["ready"] = ready && state.Running,
                ["started"] = state.Running,
                ["restartCount"] = state.Restarts,
                ["state"] = state.Running && state.StartedAt is { } started
                    ? new JsonObject { ["running"] = new JsonObject { ["startedAt"] = RouteStatusJson.Timestamp(started) } }
                    : new JsonObject { ["waiting"] = new JsonObject { ["reason"] = state.LastExitCode is null ? "ContainerCreating" : "CrashLoopBackOff" } },
            };
            if (state.LastExitCode is { } exitCode)
            {
                status["lastState"] = new JsonObject { ["terminated"] = new JsonObject { ["exitCode"] = exitCode, ["reason"] = exitCode == 0 ? "Completed" : "Error" } };
            }

            statuses.Add(status);
        }

        return statuses;
    }

    /// <summary>An EndpointSlice as the API server (and the manifest loader) reads it.</summary>
    internal static JsonObject SliceJson(EndpointSlice slice) => new()
    {
        ["apiVersion"] = "discovery.k8s.io/v1",
        ["kind"] = "EndpointSlice",
        ["metadata"] = new JsonObject
        {
            ["name"] = slice.Name,
            ["namespace"] = slice.Namespace,
            ["labels"] = Map(slice.Metadata.Labels),
        },
        ["addressType"] = slice.AddressType,
        ["endpoints"] = new JsonArray([.. slice.Endpoints.Select(e =>
        {
            var endpoint = new JsonObject
            {
                ["addresses"] = new JsonArray([.. e.Addresses.Select(a => (JsonNode)JsonValue.Create(a))]),
                ["conditions"] = new JsonObject { ["ready"] = e.Conditions.Ready, ["serving"] = e.Conditions.Serving, ["terminating"] = e.Conditions.Terminating },
            };
            if (e.NodeName is not null)
            {
                endpoint["nodeName"] = e.NodeName;
            }

            if (e.TargetRef is { } target)
            {
                endpoint["targetRef"] = new JsonObject { ["kind"] = target.Kind, ["namespace"] = target.Namespace, ["name"] = target.Name };
            }

            return (JsonNode)endpoint;
        })]),
        ["ports"] = new JsonArray([.. slice.Ports.Select(p =>
        {
            var port = new JsonObject { ["name"] = p.Name ?? "", ["port"] = p.Port, ["protocol"] = p.Protocol };
            if (p.AppProtocol is not null)
            {
                port["appProtocol"] = p.AppProtocol;
            }

            return (JsonNode)port;
        })]),
    };

    internal static JsonObject Map(IReadOnlyDictionary<string, string> values)
    {
        var map = new JsonObject();
        foreach (var (key, value) in values.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            map[key] = value;
        }

        return map;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private void Report(string message)
    {
        lock (_gate)
        {
            if (!_reported.Add(message))
            {
                return;
            }
        }

        _progress?.WriteLine($"warning: {message}");
    }

    /// <summary>A pod as recorded: the local pod, its API object as last written, and what was written of it.</summary>
    private sealed class RecordedPod(LocalPod pod, JsonObject created, long registeredAt)
    {
        public LocalPod Pod { get; } = pod;

        /// <summary>The desired-state generation when the pod was registered.</summary>
        public long RegisteredAt { get; } = registeredAt;

        public JsonObject Object { get; set; } = created;

        public bool? WrittenReady { get; private set; }

        /// <summary>The containers' states as last written (<see cref="LocalPod.ContainerStates"/>).</summary>
        public IReadOnlyList<ContainerState> WrittenContainers { get; private set; } = [];

        public void Wrote(bool ready, IReadOnlyList<ContainerState> containers)
        {
            WrittenReady = ready;
            WrittenContainers = containers;
        }

        public DateTimeOffset TokenRenewal { get; set; } = DateTimeOffset.MaxValue;
    }
}
