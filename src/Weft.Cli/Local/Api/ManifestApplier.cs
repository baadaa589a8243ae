using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using Weft.Api;
using Weft.Api.Model;
using Weft.Cli.Commands;
using Weft.ControlPlane.Kubernetes;
using Weft.ControlPlane.Objects;
using Weft.ControlPlane.Sources;

namespace Weft.Cli.Local.Api;

/// <summary>
/// <c>kubectl apply -f DIR</c>, kept up: every object of the manifests directory whose kind the API server serves is
/// created, or replaced (with its resourceVersion, keeping the server's status and a Service's clusterIP) when it
/// exists and the manifest changed; objects applied before that left the directory are deleted, as are, when the
/// applier stops, all it applied (labelled <see cref="AppliedByLabel"/>). Only weft up's own are replaced or deleted, as
/// helm adopts nothing it did not install: an object that exists without the label (the user's, or another tool's) is
/// left as it is, never replaced, relabelled or deleted: a Namespace is used as it is (each of its <c>weft.dev/*</c>
/// settings that differs from DIR's is warned of: the mesh follows the cluster's, <see cref="NamespaceSettingsDrift"/>),
/// any other kind is reported as refused. One with the label (left by a weft up that was killed) is taken over. Namespaces
/// go first and CustomResourceDefinitions next, each one written Established before the objects of its kind are sent.
/// Deployments (and bare Pods) are not sent: they are the local cluster's, which runs the pods itself
/// (<see cref="Deployments"/>); a cluster's controllers would run them a second time. Services without a ClusterIP of the
/// run's block get one from the run's <see cref="AddressPlan"/>, as the local mode's admission gives it. The directory is
/// read with <see cref="ManifestLoader"/> too, whose problems are reported, but the objects sent are the manifests'
/// own JSON, whole. The directory is watched (file events, and a rescan every <see cref="RescanInterval"/>). What it
/// applied and was deleted outside it (<c>kubectl delete</c>, its namespace's deletion) is applied again, as a GitOps
/// controller puts back what its source declares: every <see cref="ResyncInterval"/>, and on each change of the directory,
/// each object it applied is read back, and one gone (or made again by someone else: another uid) is applied again, with
/// a line on progress. One deleted on purpose is put back once per deletion; taking it out of the directory is what
/// removes it.
/// </summary>
internal sealed class ManifestApplier : IAsyncDisposable
{
    public const string AppliedByLabel = "weft.dev/applied-by";
    public const string AppliedBy = "weft-up";

    private const string CustomResourceDefinition = "CustomResourceDefinition";

    /// <summary>How long a pass waits for a CRD it wrote to be Established before it applies objects of its kind, and how often it looks.</summary>
    private static readonly TimeSpan EstablishedWait = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan EstablishedPoll = TimeSpan.FromMilliseconds(100);

    private static readonly HashSet<string> LocalKinds = new(StringComparer.Ordinal) { "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Pod" };

    private readonly IKubernetes _client;
    private readonly AddressPlan _addresses;
    private readonly TextWriter? _progress;
    private readonly IReadOnlySet<string> _ignored;
    private readonly SemaphoreSlim _applyGate = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly HashSet<string> _reported = new(StringComparer.Ordinal);
    private readonly HashSet<string> _notServed = new(StringComparer.Ordinal);

    // What this applier wrote, by kind/namespace/name: the kind, the object as sent (its content hash), the order it went
    // in, and the uid the server gave it (a delete's precondition: an object of that name made by someone else since is not ours).
    private readonly Dictionary<string, (KubeResource Kind, string? Namespace, string Name, string Hash, int Order, string Uid)> _applied = new(StringComparer.Ordinal);

    // What DIR declares and was found existing without weft up's label (left as it is): read back as _applied is, so that
    // DIR's is applied once the user deletes theirs (as the refusal's warning tells them to).
    private readonly Dictionary<string, (KubeResource Kind, string? Namespace, string Name)> _notOurs = new(StringComparer.Ordinal);
    private DirectoryWatch? _watcher;
    private Task _loop = Task.CompletedTask;
    private string _contentHash = "";

    // DIR's objects as sent (Desired), for the content hash they were read at: a read-back of an unchanged DIR (every
    // ResyncInterval) does not parse it again (hundreds of KB of YAML with the Gateway API CRDs in it).
    private (string Hash, Dictionary<string, (KubeResource Kind, JsonObject Object)> Objects)? _desired;
    private bool _dirty = true;

    public ManifestApplier(IKubernetes client, string directory, AddressPlan addresses, IReadOnlySet<string> ignoredFileNames, TextWriter? progress)
    {
        _client = client;
        Directory = Path.GetFullPath(directory);
        _addresses = addresses;
        _ignored = ignoredFileNames;

        // Its lines repeat what the cluster holds (the API server's refusals quote what anyone wrote; a Namespace's annotations):
        // escaped for the terminal, as one writer for all of them.
        _progress = progress is null ? null : TerminalText.Writer(progress);
    }

    public string Directory { get; }

    public TimeSpan RescanInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How often what this applier wrote is read back, to apply again what was deleted outside it (a GET per object).</summary>
    public TimeSpan ResyncInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The directory's Deployments (typed), for the local cluster: its own source in the node's store.</summary>
    public ObjectStore? Deployments { get; init; }

    /// <summary>The versions this applier's writes returned, per resource (a reader that reached them has seen them).</summary>
    public WrittenVersions Written { get; } = new();

    /// <summary>How many times DIR's files were parsed into the objects to send (a change of their content hash, or the first pass).</summary>
    internal int DirectoryReads { get; private set; }

    /// <summary>How many read-backs of what this applier wrote were made.</summary>
    internal int ReadBacks { get; private set; }

    /// <summary>Raised after a pass that wrote or deleted something.</summary>
    public event Action? Applied;

    /// <summary>
    /// Applies the directory once, then watches it. Throws when the API server cannot be reached, and
    /// (<see cref="ApplyRefusedException"/>) when it refuses an object: a mesh started without some of its objects would
    /// say ready and then fail its calls. A refusal after the start is a warning, and the mesh keeps running.
    /// </summary>
    public async Task StartAsync(CancellationToken ct)
    {
        var (applied, refused) = await PassAsync(force: true, resync: false, ct);
        if (refused.Count > 0)
        {
            throw new ApplyRefusedException(
                $"the API server refused {refused.Count} of the {applied + refused.Count} objects of {Directory} (the rest is deleted again):\n"
                + string.Join("\n", refused.Select(r => $"  {r}"))
                + (refused.Any(IsOutsideServiceRange) ? $"\n{ServiceRangeHint()}" : ""));
        }

        _watcher = new DirectoryWatch(Directory, _ignored);
        _loop = Task.Run(() => WatchAsync(_stop.Token), CancellationToken.None);
    }

    /// <summary>Reads the directory now and applies what changed since the last pass (everything when <paramref name="force"/>); what the server refuses is reported as a warning.</summary>
    public Task ApplyAsync(bool force, CancellationToken ct) => ApplyAsync(force, resync: false, ct);

    /// <summary>As <see cref="ApplyAsync(bool, CancellationToken)"/>; with <paramref name="resync"/>, what this applier wrote and is gone is applied again.</summary>
    private async Task ApplyAsync(bool force, bool resync, CancellationToken ct)
    {
        var (_, refused) = await PassAsync(force, resync, ct);
        foreach (var refusal in refused)
        {
            Report($"warning: {refusal}");
        }

        if (refused.Any(IsOutsideServiceRange))
        {
            Report($"warning: {ServiceRangeHint()}");
        }
    }

    /// <summary>
    /// One pass, when the directory changed, a write is to be retried, or <paramref name="force"/>; with
    /// <paramref name="resync"/> (and on a change, or forced), first what this applier wrote is read back, and the pass made
    /// when some of it is gone. How many objects are applied, and a line for each write the server refused.
    /// </summary>
    private async Task<(int Applied, IReadOnlyList<string> Refused)> PassAsync(bool force, bool resync, CancellationToken ct)
    {
        await _applyGate.WaitAsync(ct);
        try
        {
            var files = DirectoryWatch.ManifestFiles(Directory, _ignored);
            var hash = Convert.ToHexString(DirectoryWatch.ContentHash(files));
            var edited = hash != _contentHash;
            var readBack = force || edited || resync;
            if (!readBack && !_dirty)
            {
                return (_applied.Count, []);
            }

            // DIR as it is now, before the read-back: what was deleted outside weft up and has left DIR since is not to be applied again.
            if (_desired is not { } cached || cached.Hash != hash)
            {
                _desired = cached = (hash, Desired(Read(files)));
                DirectoryReads++;
            }

            var desired = cached.Objects;
            if (readBack && await ForgetGoneAsync(desired, ct) > 0)
            {
                force = true;
            }

            if (resync && _notServed.Count > 0)
            {
                _notServed.Clear(); // asked again: a CRD installed (or Established) since serves the kind now
                force = true;
            }

            if (!force && !_dirty && !edited)
            {
                return (_applied.Count, []);
            }

            _contentHash = hash;
            var loaded = ManifestLoader.LoadPaths(files);
            foreach (var problem in loaded.Problems)
            {
                Report($"warning: {problem}");
            }

            Deployments?.Replace("manifests", [.. loaded.Objects.OfType<Deployment>()]);
            var (changed, refused) = await ApplyObjectsAsync(desired, ct);
            _dirty = refused.Count > 0;
            if (changed)
            {
                Applied?.Invoke();
            }

            return (_applied.Count, refused);
        }
        finally
        {
            _applyGate.Release();
        }
    }

    /// <summary>Stops watching, then deletes every object this applier made (reverse order: namespaces last).</summary>
    public async ValueTask DisposeAsync()
    {
        _watcher?.Dispose();
        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }

        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await _applyGate.WaitAsync(limit.Token);
        try
        {
            foreach (var (key, applied) in _applied.OrderByDescending(a => a.Value.Order).ToList())
            {
                try
                {
                    await DeleteAppliedAsync(key, applied, limit.Token);
                    _applied.Remove(key);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    _progress?.WriteLine($"warning: could not delete {key}: {KubeErrors.Describe(e)}");
                }
            }
        }
        finally
        {
            _applyGate.Release();
        }

        _stop.Dispose();
    }

    private async Task WatchAsync(CancellationToken ct)
    {
        var time = TimeProvider.System;
        var nextResync = time.GetUtcNow() + ResyncInterval;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await _watcher!.WaitAsync(RescanInterval, time, ct);
                var resync = time.GetUtcNow() >= nextResync;
                if (resync)
                {
                    nextResync = time.GetUtcNow() + ResyncInterval;
                }

                await ApplyAsync(force: false, resync, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                _dirty = true;
                Report($"warning: applying {Directory}: {KubeErrors.Describe(e)}");
            }
        }
    }

    /// <summary>
    /// One pass over the directory's objects: creates and replaces what changed, deletes what left. (changed, a line per
    /// refused write). A kind the server did not serve is skipped (and kept: not deleted) until the next read-back, or
    /// until this pass writes the CRD that serves it (named as the kind's <see cref="KubeResource.QualifiedName"/>): then
    /// its objects go once the CRD is Established, as <c>kubectl wait --for condition=established</c> waits.
    /// </summary>
    private async Task<(bool Changed, List<string> Refused)> ApplyObjectsAsync(Dictionary<string, (KubeResource Kind, JsonObject Object)> desired, CancellationToken ct)
    {
        var changed = false;
        var refused = new List<string>();
        var order = 0;
        var establishing = new List<(KubeResource Kind, string Name, string Uid)>(); // CRDs written in this pass, their kinds' objects after them
        foreach (var (key, (kind, body)) in desired.OrderBy(d => Rank(d.Value.Kind)).ThenBy(d => d.Key, StringComparer.Ordinal))
        {
            order++;
            if (establishing.Count > 0 && Rank(kind) > Rank(establishing[0].Kind))
            {
                await WaitForEstablishedAsync(establishing, ct);
                establishing.Clear();
            }

            var hash = Hash(body.ToJsonString());
            if ((_applied.TryGetValue(key, out var before) && before.Hash == hash) || _notServed.Contains(kind.ToString()))
            {
                continue;
            }

            try
            {
                var (written, ours) = await CreateOrReplaceAsync(kind, body, ct);
                if (!ours)
                {
                    _applied.Remove(key); // someone else's now (re-made without the label since): neither replaced nor deleted
                    _notOurs[key] = (kind, kind.NamespaceOf(body), KubeResource.NameOf(body));
                    if (!kind.Equals(KubeResource.Namespaces))
                    {
                        Report($"warning: refused {key}: it exists and was not applied by weft up (no label {AppliedByLabel}: {AppliedBy}), so it is left as it is, "
                            + "neither replaced nor deleted when weft up stops: delete it or rename yours");
                        continue;
                    }

                    // Used as it is: what the mesh reads of it (its weft.dev/* labels and annotations) is the cluster's, not DIR's.
                    Report($"Namespace {KubeResource.NameOf(body)} exists and was not applied by weft up: used as it is (not replaced, and not deleted when weft up stops)");
                    foreach (var line in NamespaceSettingsDrift.Lines(body, written, Directory))
                    {
                        Report(line);
                    }

                    continue;
                }

                _applied[key] = (kind, kind.NamespaceOf(body), KubeResource.NameOf(body), hash, order, UidOf(written));
                _notOurs.Remove(key);
                changed = true;
                if (kind.Kind == CustomResourceDefinition)
                {
                    establishing.Add((kind, KubeResource.NameOf(body), UidOf(written)));
                    _notServed.Remove(KubeResource.NameOf(body)); // its kind's objects are tried again, once it is Established
                }
            }
            catch (Exception e) when (KubeErrors.IsNotServed(e))
            {
                _notServed.Add(kind.ToString());
                Report($"warning: the API server does not serve {kind.Kind} ({kind.ApiVersion}): {key} not applied");
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                refused.Add($"applying {key}: {KubeErrors.Describe(e)}");
            }
        }

        foreach (var key in _notOurs.Keys.Where(k => !desired.ContainsKey(k)).ToList())
        {
            _notOurs.Remove(key);
        }

        foreach (var (key, applied) in _applied.Where(a => !desired.ContainsKey(a.Key)).OrderByDescending(a => a.Value.Order).ToList())
        {
            try
            {
                await Written.NoteDeletionAsync(_client, applied.Kind, await DeleteAppliedAsync(key, applied, ct), ct);
                _applied.Remove(key);
                changed = true;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                refused.Add($"deleting {key}: {KubeErrors.Describe(e)}");
            }
        }

        return (changed, refused);
    }

    /// <summary>The directory's objects to send, by key, each as sent (<see cref="Prepare"/>): not the local cluster's kinds, nor one without a name.</summary>
    private Dictionary<string, (KubeResource Kind, JsonObject Object)> Desired(IReadOnlyList<JsonObject> objects)
    {
        var desired = new Dictionary<string, (KubeResource Kind, JsonObject Object)>(StringComparer.Ordinal);
        foreach (var obj in objects)
        {
            if (KubeResource.Of(obj) is not { } kind || LocalKinds.Contains(kind.Kind) || KubeResource.NameOf(obj).Length == 0)
            {
                continue;
            }

            var body = Prepare(kind, obj);
            desired[kind.KeyOf(body)] = (kind, body);
        }

        return desired;
    }

    // The API server's allocator refusing the ClusterIP Prepare set: kube-apiserver's (and the stand-in's) words.
    private static bool IsOutsideServiceRange(string refusal) => refusal.Contains("is not in the valid range", StringComparison.Ordinal);

    /// <summary>What to do when the server's Service range does not hold the run's Service block, which the isolation decides.</summary>
    private string ServiceRangeHint() => _addresses.OnLoopback
        ? $"the API server's Service range (its --service-cluster-ip-range) must contain this run's Service block {_addresses.ServiceCidr}: "
            + "with --isolation process weft up takes a 127.B.0.0/16 of 127.0.0.0/8 and gives Services 127.B.1.0/24, so give the server a range "
            + "that holds 127.0.0.0/8 (the stand-in: --service-cidr 127.0.0.0/8)"
        : $"the API server's Service range (its --service-cluster-ip-range) must contain this run's Service block {_addresses.ServiceCidr}: "
            + $"in network namespaces weft up takes a /23 of --netns-range (default {Netns.NetnsRange.DefaultCidr}) and gives Services its second /24, "
            + $"so give the server a range that holds --netns-range (the stand-in: --service-cidr {Netns.NetnsRange.DefaultCidr}), or choose a --netns-range inside the server's";

    /// <summary>The object as sent: labelled as this applier's, a Service given the run's ClusterIP.</summary>
    private JsonObject Prepare(KubeResource kind, JsonObject obj)
    {
        var body = obj.DeepClone().AsObject();
        var meta = body["metadata"] as JsonObject ?? [];
        body["metadata"] = meta;
        if (kind.Namespaced && meta["namespace"] is null)
        {
            meta["namespace"] = "default";
        }

        var labels = meta["labels"] as JsonObject ?? [];
        meta["labels"] = labels;
        labels[AppliedByLabel] = AppliedBy;
        meta.Remove("resourceVersion");
        meta.Remove("uid");
        body.Remove("status");
        if (kind.Equals(KubeResource.Services) && body["spec"] is JsonObject spec)
        {
            var type = spec["type"]?.GetValue<string>() ?? "ClusterIP";
            var clusterIP = spec["clusterIP"]?.GetValue<string>();
            if (type != "ExternalName" && clusterIP != "None" && !_addresses.IsServiceAddress(clusterIP))
            {
                var ip = _addresses.ServiceAddress($"{meta["namespace"]}/{meta["name"]}").ToString();
                spec["clusterIP"] = ip;
                spec["clusterIPs"] = new JsonArray(ip);
            }
        }

        return body;
    }

    /// <summary>Creates the object, or replaces the server's copy when weft up applied it: what was written; or, when that copy is someone else's, that copy (not ours: nothing written).</summary>
    private async Task<(JsonObject Server, bool Ours)> CreateOrReplaceAsync(KubeResource kind, JsonObject body, CancellationToken ct)
    {
        var appliedBefore = false; // the object as the server had it was weft up's: our own label is on what we write
        JsonObject? deleting = null; // the server's copy is being deleted (deletionTimestamp): not to be replaced, but made again once gone
        var written = await kind.CreateOrReplaceAsync(_client, body, Keep, ct, mayReplace: MayReplace);
        if (deleting is not null)
        {
            await WaitGoneAsync(kind, body, deleting, ct);
            deleting = null;
            written = await kind.CreateOrReplaceAsync(_client, body, Keep, ct, mayReplace: MayReplace);
            if (deleting is not null)
            {
                throw new InvalidOperationException($"it is being deleted again (deletionTimestamp {deleting["metadata"]?["deletionTimestamp"]}): applied once it is gone");
            }
        }

        if (appliedBefore && kind.Equals(KubeResource.Services) && written["spec"]?["clusterIP"]?.GetValue<string>() is { } left && left != "None"
            && !_addresses.IsServiceAddress(left))
        {
            // Left by a run that was killed (nothing deleted it): its ClusterIP is of that run's block, which no kube-proxy
            // of this run serves, and immutable. Applied by weft up, it is weft up's to make again, with this run's.
            await kind.DeleteAsync(_client, kind.NamespaceOf(body), KubeResource.NameOf(body), ct, new k8s.Models.V1DeleteOptions { Preconditions = new k8s.Models.V1Preconditions { Uid = UidOf(written) } });
            written = await kind.CreateOrReplaceAsync(_client, body, Keep, ct, mayReplace: IsAppliedByWeftUp);
            Report($"Service {kind.NamespaceOf(body)}/{KubeResource.NameOf(body)}: an earlier run left it with ClusterIP {left}, outside this run's block: made again");
        }

        if (!IsAppliedByWeftUp(written))
        {
            return (written, false); // what this applier writes carries the label: this is the server's copy, untouched
        }

        Written.Note(kind, KubeResource.ResourceVersionOf(written));
        return (written, true);

        bool MayReplace(JsonObject server)
        {
            if (IsDeleting(server))
            {
                deleting = server;
                return false;
            }

            return appliedBefore = IsAppliedByWeftUp(server);
        }

        void Keep(JsonObject server, JsonObject replacement)
        {
            if (server["status"] is { } status)
            {
                replacement["status"] = status.DeepClone();
            }

            if (kind.Equals(KubeResource.Services) && replacement["spec"] is JsonObject spec && server["spec"] is JsonObject serverSpec)
            {
                // spec.clusterIP is immutable: the server's stays.
                spec["clusterIP"] = serverSpec["clusterIP"]?.DeepClone();
                spec["clusterIPs"] = serverSpec["clusterIPs"]?.DeepClone();
            }
        }
    }

    /// <summary>
    /// Waits until an object being deleted (a CRD Terminating while its objects are removed, a Namespace while its
    /// contents are) is gone, reading it every <see cref="EstablishedPoll"/> for at most <see cref="EstablishedWait"/>:
    /// replacing it would write into what is going (a CRD so replaced still refuses its kind's creates, then goes).
    /// </summary>
    private async Task WaitGoneAsync(KubeResource kind, JsonObject body, JsonObject deleting, CancellationToken ct)
    {
        var (ns, name) = (kind.NamespaceOf(body), KubeResource.NameOf(body));
        Report($"{kind.KeyOf(body)} is being deleted (deletionTimestamp {deleting["metadata"]?["deletionTimestamp"]}): applying {Directory}'s once it is gone");
        if (!await PollAsync(async () => await kind.GetAsync(_client, ns, name, ct) is not { } server || UidOf(server) != UidOf(deleting), Deadline(), ct))
        {
            throw new InvalidOperationException($"it is still being deleted after {EstablishedWait.TotalSeconds:0} s (deletionTimestamp {deleting["metadata"]?["deletionTimestamp"]}): applied once it is gone");
        }
    }

    /// <summary>
    /// Deletes what this applier wrote, if it is still that object (its uid as precondition): one deleted and made again
    /// by someone else since is theirs, and stays. The deletion's resourceVersion, or null when nothing was deleted.
    /// </summary>
    private async Task<string?> DeleteAppliedAsync(string key, (KubeResource Kind, string? Namespace, string Name, string Hash, int Order, string Uid) applied, CancellationToken ct)
    {
        try
        {
            return await applied.Kind.DeleteAsync(_client, applied.Namespace, applied.Name, ct,
                applied.Uid.Length == 0 ? null : new k8s.Models.V1DeleteOptions { Preconditions = new k8s.Models.V1Preconditions { Uid = applied.Uid } });
        }
        catch (k8s.Autorest.HttpOperationException e) when (KubeErrors.IsConflict(e))
        {
            Report($"{key}: not deleted: it was made again by someone else since weft up applied it");
            return null;
        }
    }

    /// <summary>
    /// Reads back each object this applier wrote; one gone, or of another uid (deleted and made again since), is no longer
    /// taken for applied, so that the pass applies it again (or, someone else's now, refuses it) when it is still in
    /// <paramref name="desired"/> (DIR as it is now); one that left DIR is only forgotten, without a word (its delete
    /// would have found it gone). And each of DIR's it left as someone else's: one gone since is applied now. How many
    /// of DIR's are to be applied again.
    /// </summary>
    private async Task<int> ForgetGoneAsync(Dictionary<string, (KubeResource Kind, JsonObject Object)> desired, CancellationToken ct)
    {
        var gone = 0;
        ReadBacks++;
        foreach (var (key, applied) in _applied.OrderBy(a => a.Value.Order).ToList())
        {
            var server = await applied.Kind.GetAsync(_client, applied.Namespace, applied.Name, ct);
            if (server is not null && UidOf(server) == applied.Uid && !IsDeleting(server))
            {
                continue; // still there, and not being deleted (one Terminating is as good as gone: it is to be made again once it goes)
            }

            _applied.Remove(key);
            if (!desired.ContainsKey(key))
            {
                continue;
            }

            gone++;
            _progress?.WriteLine(server is null || UidOf(server) == applied.Uid
                ? $"{key} was deleted outside weft up and is in {Directory}: applying it again"
                : $"{key} was deleted and made again outside weft up: applying {Directory}'s again");
        }

        foreach (var (key, theirs) in _notOurs.ToList())
        {
            if (!desired.ContainsKey(key))
            {
                _notOurs.Remove(key); // out of DIR: nothing to apply when it goes
            }
            else if (await theirs.Kind.GetAsync(_client, theirs.Namespace, theirs.Name, ct) is not { } server || IsDeleting(server))
            {
                _notOurs.Remove(key);
                gone++;
                _progress?.WriteLine($"{key}, which weft up left as it was, is gone: applying {Directory}'s");
            }
        }

        return gone;
    }

    /// <summary>
    /// Waits until each CRD is Established (its resource served), reading it back every <see cref="EstablishedPoll"/>
    /// for at most <see cref="EstablishedWait"/>; one that is not by then is said, and its objects, not served yet, are
    /// applied at a later pass. Only the CRD this pass wrote counts (its uid), and not while it is being deleted: a copy
    /// that is going still says Established. A read that fails leaves its kind to the next read-back, as one not served.
    /// </summary>
    private async Task WaitForEstablishedAsync(IReadOnlyList<(KubeResource Kind, string Name, string Uid)> crds, CancellationToken ct)
    {
        var deadline = Deadline();
        foreach (var (kind, name, uid) in crds)
        {
            try
            {
                if (!await PollAsync(async () => await kind.GetAsync(_client, null, name, ct) is { } crd && UidOf(crd) == uid && !IsDeleting(crd) && IsEstablished(crd), deadline, ct))
                {
                    Report($"warning: CustomResourceDefinition {name} is not Established after {EstablishedWait.TotalSeconds:0} s: its objects are applied once it is");
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _notServed.Add(name); // its kind's objects wait for the next read-back, which asks again
                Report($"warning: reading CustomResourceDefinition {name} back: {KubeErrors.Describe(e)}: its objects are applied at the next read-back");
            }
        }
    }

    private static DateTimeOffset Deadline() => TimeProvider.System.GetUtcNow() + EstablishedWait;

    /// <summary>Asks <paramref name="done"/> every <see cref="EstablishedPoll"/> until it says yes (true) or <paramref name="deadline"/> has passed (false).</summary>
    private static async Task<bool> PollAsync(Func<Task<bool>> done, DateTimeOffset deadline, CancellationToken ct)
    {
        while (!await done())
        {
            if (TimeProvider.System.GetUtcNow() >= deadline)
            {
                return false;
            }

            await Task.Delay(EstablishedPoll, ct);
        }

        return true;
    }

    private static bool IsEstablished(JsonObject crd) =>
        (crd["status"]?["conditions"] as JsonArray ?? []).OfType<JsonObject>()
            .Any(c => c["type"]?.GetValue<string>() == "Established" && c["status"]?.GetValue<string>() == "True");

    private static bool IsDeleting(JsonObject obj) => obj["metadata"]?["deletionTimestamp"] is not null;

    private static bool IsAppliedByWeftUp(JsonObject obj) => obj["metadata"]?["labels"]?[AppliedByLabel]?.GetValue<string>() == AppliedBy;

    private static string UidOf(JsonObject obj) => obj["metadata"]?["uid"]?.GetValue<string>() ?? "";

    /// <summary>Namespaces first (the rest live in them), CRDs next (their kinds follow), ServiceAccounts and Services, then the rest.</summary>
    private static int Rank(KubeResource kind) => kind.Kind switch
    {
        "Namespace" => 0,
        "CustomResourceDefinition" => 1,
        "ServiceAccount" => 2,
        "Service" => 3,
        _ => 4,
    };

    private List<JsonObject> Read(IReadOnlyList<string> files)
    {
        var objects = new List<JsonObject>();
        foreach (var file in files)
        {
            try
            {
                objects.AddRange(ManifestJson.Documents(File.ReadAllText(file)));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or YamlDotNet.Core.YamlException)
            {
                Report($"warning: {file}: not applied: {e.Message}");
            }
        }

        return objects;
    }

    private static string Hash(string text) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private void Report(string line)
    {
        lock (_reported)
        {
            if (!_reported.Add(line))
            {
                return;
            }
        }

        _progress?.WriteLine(line);
    }
}
