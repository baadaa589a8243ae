using System.Text;
using Weft.Api.Model;
using Weft.ControlPlane.Objects;
using Weft.Routing;

namespace Weft.Cli.Local;

/// <summary>
/// The kubelet, Deployment controller and EndpointSlice controller of the local mode, on top of the control plane's
/// <see cref="ObjectStore"/>: it watches Deployments (from the manifests directory) and keeps their pods running as
/// local processes (<see cref="LocalPod"/>), recreating them when the template changes and starting or stopping them
/// when replicas change; and it publishes the Pod objects (with their IPs) and the EndpointSlices of every Service with
/// a selector to its <see cref="ClusterRecord"/> (the store as source <see cref="SourceName"/>, or an API server), whenever
/// pods, readiness or Services change.
/// </summary>
internal sealed class LocalCluster : IAsyncDisposable
{
    public const string SourceName = "local";

    private readonly ObjectStore _store;
    private readonly ClusterRecord _record;
    private readonly AddressPlan _addresses;
    private readonly LocalClusterOptions _options;
    private readonly Lock _gate = new();
    private readonly List<LocalPod> _pods = [];

    /// <summary>Pods stopping (each with its own grace period) and their stops, which hold up nothing else.</summary>
    private readonly List<(LocalPod Pod, Task Stopped)> _terminating = [];
    private readonly HashSet<string> _reported = new(StringComparer.Ordinal);

    /// <summary>
    /// With an API server: the pods whose Pod the node's view has held (read back), by key: one gone from it since was
    /// deleted there at once (a force delete); one not read back yet is not gone, it is new.
    /// </summary>
    private readonly HashSet<string> _seenInApi = new(StringComparer.Ordinal);

    /// <summary>With an API server: pods stopping, still published (not Ready) until they have stopped, as a kubelet deletes a Pod only then.</summary>
    private readonly List<LocalPod> _stoppingPods = [];
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _stopping = new();
    private Task _loop = Task.CompletedTask;
    private string _published = "";
    private int _generation;
    private long _reconciledVersion = -1;

    public LocalCluster(ObjectStore store, AddressPlan addresses, LocalClusterOptions options)
    {
        _store = store;
        _addresses = addresses;
        _options = options;
        _record = options.Record ?? new StoreClusterRecord(store);
    }

    /// <summary>Raised after pods were started or stopped, or a pod's readiness changed, and the store was updated.</summary>
    public event Action? Changed;

    /// <summary>Increases every time <see cref="Changed"/> is raised.</summary>
    public int Generation => Volatile.Read(ref _generation);

    public IReadOnlyList<LocalPod> Pods
    {
        get
        {
            lock (_gate)
            {
                return [.. _pods];
            }
        }
    }

    /// <summary>True when the cluster has caught up with the store and every desired pod exists and is Ready.</summary>
    public bool AllReady
    {
        get
        {
            var reconciled = Volatile.Read(ref _reconciledVersion);
            if (reconciled < 0 || reconciled < _store.Version - 1)
            {
                // Not yet reconciled what the store holds (our own publish bumps the version once more).
                return false;
            }

            var pods = Pods;
            var desired = _store.Snapshot().Objects.OfType<Deployment>().Sum(d => d.Replicas);
            return pods.Count == desired && pods.All(p => p.Ready);
        }
    }

    public void Start()
    {
        _store.Changed += OnStoreChanged;
        _loop = Task.Run(() => RunAsync(_stopping.Token));
        _wake.Release();
    }

    /// <summary>Waits until every pod is Ready, or throws with what is not.</summary>
    public async Task WaitUntilReadyAsync(TimeSpan timeout, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        var changed = new SemaphoreSlim(0);
        void OnChanged() => changed.Release();
        Changed += OnChanged;
        try
        {
            while (!AllReady)
            {
                try
                {
                    await changed.WaitAsync(TimeSpan.FromMilliseconds(250), deadline.Token);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    var pending = Pods.Where(p => !p.Ready).Select(p => $"{p.Key}: {p.Problem ?? "not ready"}\n{p.Diagnostics()}");
                    throw new TimeoutException($"pods not ready after {timeout.TotalSeconds:0}s:\n" + string.Join('\n', pending));
                }
            }
        }
        finally
        {
            Changed -= OnChanged;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _store.Changed -= OnStoreChanged;
        await _stopping.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }

        // As a kubelet's graceful node shutdown: every pod stops with its grace period capped (LocalPod.ShutdownGracePeriod),
        // those already terminating with a longer one too.
        List<LocalPod> pods;
        List<(LocalPod Pod, Task Stopped)> terminating;
        lock (_gate)
        {
            pods = [.. _pods];
            _pods.Clear();
            terminating = [.. _terminating];
        }

        await Task.WhenAll(pods.Concat(terminating.Select(t => t.Pod)).Select(p => p.DisposeAsync().AsTask()).Concat(terminating.Select(t => t.Stopped)));
        _stopping.Dispose();
    }

    private void OnStoreChanged(object? sender, EventArgs e) => Wake();

    private void Wake()
    {
        // Coalesce: one pending wake-up is enough.
        if (_wake.CurrentCount == 0)
        {
            _wake.Release();
        }
    }

    private async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            await _wake.WaitAsync(ct);
            try
            {
                Reconcile();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _options.Progress?.WriteLine($"local cluster: {e.Message}");
            }
        }
    }

    private void Reconcile()
    {
        var snapshot = _store.Snapshot();
        var deployments = snapshot.Objects.OfType<Deployment>().ToDictionary(d => d.Key, StringComparer.Ordinal);
        var namespaces = snapshot.Objects.OfType<Namespace>().ToDictionary(n => n.Name, StringComparer.Ordinal);

        // A weft.dev setting Weft skips changes nothing, so say so (once each, as weft validate would).
        foreach (var obj in namespaces.Values.Concat<KubeObject>(deployments.Values))
        {
            foreach (var problem in MeshSettingValues.Skipped(obj))
            {
                Warn($"{obj.Kind} {obj.Key}: {problem}");
            }
        }

        var changed = false;
        List<(LocalPod Pod, TimeSpan Grace)> toStop = [];
        List<LocalPod> toStart = [];

        // With an API server, the Pods as the node's view holds them: one terminating or gone is stopped, and replaced.
        var inApi = _options.Record is null ? null : snapshot.Objects.OfType<Pod>().ToDictionary(p => p.Key, StringComparer.Ordinal);
        lock (_gate)
        {
            foreach (var pod in _pods)
            {
                if (!deployments.TryGetValue(pod.DeploymentKey, out var deployment) || PodNames.TemplateHash(deployment) != pod.TemplateHash)
                {
                    toStop.Add((pod, pod.Object.Spec.TerminationGracePeriod));
                }
                else if (inApi is not null && DeletedThroughApi(pod, inApi) is { } deleted)
                {
                    // The kubelet stops a terminating pod's containers (then deletes its Pod with grace 0); the ReplicaSet
                    // controller does not count a terminating pod, so a new one is made at once (below).
                    _options.Progress?.WriteLine($"pod {pod.Key} {deleted.How}: stopping it; {deployment.Key} gets a new pod");
                    toStop.Add((pod, deleted.Grace));
                }
            }

            if (inApi is not null)
            {
                // A terminating pod deleted again with a shorter grace period (or at once, --force) is killed sooner.
                foreach (var pod in _stoppingPods)
                {
                    if (DeletedThroughApi(pod, inApi) is { } deleted)
                    {
                        pod.ShortenGrace(deleted.Grace);
                    }
                }
            }

            if (inApi is not null)
            {
                _seenInApi.UnionWith(_pods.Where(p => inApi.ContainsKey(p.Key)).Select(p => p.Key));
            }

            foreach (var deployment in deployments.Values)
            {
                var hash = PodNames.TemplateHash(deployment);
                var current = _pods.Where(p => p.DeploymentKey == deployment.Key && p.TemplateHash == hash && !toStop.Exists(s => s.Pod == p)).ToList();
                for (var i = current.Count; i < deployment.Replicas; i++)
                {
                    var settings = PodMeshSettings.For(deployment.Template, namespaces.GetValueOrDefault(deployment.Namespace), _options.MtlsDefault, _options.Tracing);
                    if (!_addresses.TryAllocatePodAddress(out var ip))
                    {
                        // Too many pods for the range: the rest of this Deployment waits (and says so once) until pods go.
                        Report($"cannot start more pods of {deployment.Key}: no pod address left in {_addresses.PodCidr} ({_addresses.PodCapacity} pods at most)");
                        break;
                    }

                    toStart.Add(new LocalPod(deployment, hash, PodNames.NewPodName(deployment.Name, hash), ip, _options, settings));
                }

                // Scale down: the newest pods go first.
                toStop.AddRange(current.Skip(Math.Max(0, deployment.Replicas)).Reverse().Select(p => (p, p.Object.Spec.TerminationGracePeriod)));
            }

            foreach (var (pod, _) in toStop)
            {
                _pods.Remove(pod);
                if (inApi is not null)
                {
                    _stoppingPods.Add(pod);
                }
            }

            _pods.AddRange(toStart);
            changed = toStop.Count > 0 || toStart.Count > 0;
        }

        foreach (var (pod, grace) in toStop)
        {
            _options.Progress?.WriteLine($"stopping pod {pod.Key} ({pod.IP}, grace period {grace.TotalSeconds:0}s)");
            pod.StateChanged -= OnPodStateChanged;
            var terminating = Terminate(pod, grace);
            lock (_gate)
            {
                _terminating.RemoveAll(t => t.Stopped.IsCompleted);
                _terminating.Add((pod, terminating));
            }
        }

        foreach (var pod in toStart)
        {
            _options.Progress?.WriteLine($"starting pod {pod.Key} ({pod.IP})");
            pod.StateChanged += OnPodStateChanged;
            if (!pod.Start())
            {
                _options.Progress?.WriteLine($"error: pod {pod.Key} not started: {pod.Problem}");
            }
        }

        var published = Publish(snapshot);
        Volatile.Write(ref _reconciledVersion, snapshot.Version);
        if (published || changed)
        {
            Interlocked.Increment(ref _generation);
            Changed?.Invoke();
        }
    }

    /// <summary>An error line on the progress output, once per distinct message.</summary>
    private void Report(string message) => Once($"error: {message}");

    /// <summary>A warning line on the progress output, once per distinct message.</summary>
    private void Warn(string message) => Once($"warning: {message}");

    private void Once(string line)
    {
        if (_reported.Add(line))
        {
            _options.Progress?.WriteLine(line);
        }
    }

    private async Task Terminate(LocalPod pod, TimeSpan grace)
    {
        await pod.StopAsync(grace);
        _addresses.ReleasePodAddress(pod.IP);
        lock (_gate)
        {
            _seenInApi.Remove(pod.Key);
            if (!_stoppingPods.Remove(pod))
            {
                return;
            }
        }

        Wake(); // published no more: its Pod is deleted
    }

    /// <summary>
    /// How the pod's Pod was deleted through the API server, and the grace period its kubelet gives it then, or null when
    /// it was not: terminating (a graceful delete, <c>kubectl delete pod</c>), with the delete's grace period
    /// (<c>metadata.deletionGracePeriodSeconds</c>: <c>--grace-period</c>, else the Pod's <c>terminationGracePeriodSeconds</c>),
    /// or gone since the node's view held it (a delete with grace 0, <c>--force</c>): killed at once. A Pod not read back
    /// yet (just registered, or at start) is not gone.
    /// </summary>
    private (string How, TimeSpan Grace)? DeletedThroughApi(LocalPod pod, Dictionary<string, Pod> inApi) =>
        inApi.TryGetValue(pod.Key, out var held)
            ? held.Metadata.DeletionTimestamp is null
                ? null
                : ("is being deleted through the API server", held.Metadata.DeletionGracePeriodSeconds is { } seconds
                    ? PodSpec.GracePeriod(seconds)
                    : held.Spec.TerminationGracePeriod)
            : _seenInApi.Contains(pod.Key) ? ("was deleted through the API server (at once)", TimeSpan.Zero) : null;

    private void OnPodStateChanged(LocalPod pod)
    {
        if (pod.Ready)
        {
            _options.Progress?.WriteLine($"pod {pod.Key} ready");
        }
        else if (pod.Problem is { } problem && problem.StartsWith("container", StringComparison.Ordinal))
        {
            _options.Progress?.WriteLine($"pod {pod.Key}: {problem}");
        }

        Wake();
    }

    /// <summary>Publishes the pods and slices to the <see cref="ClusterRecord"/> when they differ from what was last published.</summary>
    private bool Publish(StoreSnapshot snapshot)
    {
        var pods = Pods;
        List<LocalPod> stopping;
        lock (_gate)
        {
            stopping = [.. _stoppingPods];
        }

        var statuses = pods.Select(p => new PodStatus(p.Object, p.Ready)).ToList();
        var slices = EndpointSliceController.Derive(snapshot.Objects.OfType<Service>(), statuses);
        statuses.AddRange(stopping.Select(p => new PodStatus(p.Object, Ready: false)));
        var fingerprint = Fingerprint(statuses, slices);
        if (fingerprint == _published)
        {
            return false;
        }

        _published = fingerprint;
        _record.Publish(statuses, slices);
        return true;
    }

    private static string Fingerprint(IReadOnlyList<PodStatus> pods, IReadOnlyList<EndpointSlice> slices)
    {
        var text = new StringBuilder();
        foreach (var pod in pods)
        {
            text.Append("pod ").Append(pod.Pod.Key).Append(' ').Append(pod.Pod.PodIP).Append(' ').Append(pod.Ready).Append('\n');
        }

        foreach (var slice in slices)
        {
            text.Append("slice ").Append(slice.Key).Append('\n');
            foreach (var port in slice.Ports)
            {
                text.Append(" port ").Append(port.Name).Append('/').Append(port.Port).Append('/').Append(port.Protocol).Append('/').Append(port.AppProtocol).Append('\n');
            }

            foreach (var endpoint in slice.Endpoints)
            {
                text.Append(" ep ").AppendJoin(',', endpoint.Addresses).Append(' ').Append(endpoint.Conditions.Ready).Append(' ').Append(endpoint.TargetRef?.Name).Append('\n');
            }
        }

        return text.ToString();
    }
}
