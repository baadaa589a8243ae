using System.Globalization;
using System.Text.Json.Nodes;

namespace Weft.KubeApi.StandIn.Internal;

/// <summary>The per-kind rules of the registry (the real server's strategies and admission defaults, in part).</summary>
internal sealed partial class ResourceRegistry
{
    /// <summary>
    /// What the real server's scheme defaulting does when it decodes a request body, so before admission: per object,
    /// needing no other state. (Defaults that need state, such as a Service's cluster IP, come in <see cref="BeforeCreate"/>.)
    /// </summary>
    public static void SchemeDefaults(ResourceType type, JsonObject obj)
    {
        if (type == BuiltInResources.Namespaces)
        {
            NamespaceDefaults(obj);
        }
        else if (type == BuiltInResources.Pods)
        {
            obj["spec"] = PodSpecDefaults(obj["spec"] as JsonObject ?? []);
        }
        else if (type == BuiltInResources.Secrets)
        {
            obj["type"] ??= "Opaque";
        }
        else if (type == BuiltInResources.Deployments)
        {
            DeploymentDefaults(obj);
        }
        else if (type == BuiltInResources.MutatingWebhookConfigurations || type == BuiltInResources.ValidatingWebhookConfigurations)
        {
            WebhookDefaults(obj, mutating: type == BuiltInResources.MutatingWebhookConfigurations);
        }
    }

    private void BeforeCreate(ResourceType type, JsonObject obj)
    {
        SchemeDefaults(type, obj);
        if (type == BuiltInResources.Namespaces)
        {
            obj["status"] = new JsonObject { ["phase"] = "Active" };
        }
        else if (type == BuiltInResources.Services)
        {
            ServiceDefaults(obj, null);
            obj["status"] = new JsonObject { ["loadBalancer"] = new JsonObject() };
        }
        else if (type == BuiltInResources.Pods)
        {
            obj["status"] = new JsonObject { ["phase"] = "Pending", ["qosClass"] = "BestEffort" };
        }
        else if (type == BuiltInResources.CustomResourceDefinitions)
        {
            obj["status"] = CrdEstablishingDelay > TimeSpan.Zero
                ? CustomResourceDefinitions.InstallingStatus(obj, CustomResourceDefinitions.ToResourceType(obj), Now())
                : CustomResourceDefinitions.EstablishedStatus(obj, CustomResourceDefinitions.ToResourceType(obj), Now());
        }
    }

    private void BeforeUpdate(ResourceType type, JsonObject existing, JsonObject obj)
    {
        SchemeDefaults(type, obj);
        if (type == BuiltInResources.Services)
        {
            ServiceDefaults(obj, existing);
        }
        else if (type == BuiltInResources.CustomResourceDefinitions && ObjectMeta.Of(existing)["deletionTimestamp"] is not null)
        {
            obj["status"] = existing["status"]?.DeepClone(); // Terminating stays
        }
        else if (type == BuiltInResources.CustomResourceDefinitions)
        {
            obj["status"] = CustomResourceDefinitions.IsEstablished(existing) || CrdEstablishingDelay == TimeSpan.Zero
                ? CustomResourceDefinitions.EstablishedStatus(obj, CustomResourceDefinitions.ToResourceType(obj), Now())
                : CustomResourceDefinitions.InstallingStatus(obj, CustomResourceDefinitions.ToResourceType(obj), Now());
        }
    }

    private void AfterWrite(ResourceType type, JsonObject? before, JsonObject? after)
    {
        if (type == BuiltInResources.Namespaces && before is null && after is not null)
        {
            // The service account controller's work, done at once: every namespace has a "default" ServiceAccount.
            var ns = ObjectMeta.Name(after)!;
            if (_store.Get(BuiltInResources.ServiceAccounts.StorageKey, new ObjectKey(ns, "default")) is null)
            {
                Create(
                    new ResourceRequest(BuiltInResources.ServiceAccounts, "v1", ns, null, null),
                    new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ServiceAccount", ["metadata"] = new JsonObject { ["name"] = "default" } });
            }
        }
        else if (type == BuiltInResources.Services && after is null && before?["spec"]?["clusterIPs"] is JsonArray ips)
        {
            foreach (var ip in ips)
            {
                _serviceIps.Release(ip?.ToString() ?? "");
            }
        }
        else if (type == BuiltInResources.CustomResourceDefinitions)
        {
            if (after is not null && CustomResourceDefinitions.IsEstablished(after))
            {
                _catalog.Register(CustomResourceDefinitions.ToResourceType(after));
            }
            else if (after is not null)
            {
                // The establishing controller's work, after CrdEstablishingDelay: until then the resource is not served.
                var (name, uid) = (ObjectMeta.Name(after)!, ObjectMeta.Uid(after));
                _ = Task.Delay(CrdEstablishingDelay, _time).ContinueWith(_ => Establish(name, uid), TaskScheduler.Default);
            }
            else if (before is not null)
            {
                // Its custom resources are deleted (DELETED events), then its storage goes: open watches end, and the
                // resource is no longer served.
                var served = CustomResourceDefinitions.ToResourceType(before);
                _store.RemoveAll(served.StorageKey);
                _catalog.Unregister(served.StorageKey);
                _store.CloseWatches(served.StorageKey);
            }
        }
    }

    /// <summary>Sets a CRD's Established condition (a status write, a MODIFIED event) and serves its resource, unless it was deleted (or made again) since.</summary>
    private void Establish(string name, string? uid)
    {
        lock (_store.Gate)
        {
            var key = new ObjectKey("", name);
            if (_store.Get(BuiltInResources.CustomResourceDefinitions.StorageKey, key) is not { } crd || ObjectMeta.Uid(crd) != uid || CustomResourceDefinitions.IsEstablished(crd))
            {
                return;
            }

            var established = crd.DeepClone().AsObject();
            established["status"] = CustomResourceDefinitions.EstablishedStatus(established, CustomResourceDefinitions.ToResourceType(established), Now());
            _store.Put(BuiltInResources.CustomResourceDefinitions.StorageKey, established);
            _catalog.Register(CustomResourceDefinitions.ToResourceType(established));
        }
    }

    /// <summary>
    /// The apiextensions REST Delete of a CRD, with <see cref="CrdTerminatingDelay"/>: the first delete sets
    /// <c>deletionTimestamp</c>, adds the finalizer <c>customresourcecleanup.apiextensions.k8s.io</c> and a condition
    /// Terminating True (Established stays True), and the object stays; the finalizer controller then deletes its custom
    /// resources (DELETED events; creates of its kind are refused meanwhile) and, after the delay, removes the finalizer:
    /// the CRD goes, its watches end and its resource is no longer served. A delete of a CRD already terminating changes
    /// nothing. Not modelled: an update that drops the finalizer (which would delete it at once).
    /// </summary>
    private JsonObject MarkTerminating(JsonObject existing)
    {
        if (ObjectMeta.Of(existing)["deletionTimestamp"] is not null)
        {
            return existing;
        }

        const string Finalizer = "customresourcecleanup.apiextensions.k8s.io";
        var marked = existing.DeepClone().AsObject();
        var meta = ObjectMeta.Of(marked);
        meta["deletionTimestamp"] = Now();
        meta["deletionGracePeriodSeconds"] = 0;
        var finalizers = meta["finalizers"] as JsonArray ?? [];
        if (!finalizers.Any(f => f?.ToString() == Finalizer))
        {
            finalizers.Add(Finalizer);
        }

        meta["finalizers"] = finalizers;
        var status = marked["status"] as JsonObject ?? [];
        marked["status"] = status;
        var conditions = status["conditions"] as JsonArray ?? [];
        status["conditions"] = conditions;
        conditions.Add(new JsonObject
        {
            ["type"] = "Terminating",
            ["status"] = "True",
            ["lastTransitionTime"] = Now(),
            ["reason"] = "InstanceDeletionInProgress",
            ["message"] = "CustomResource deletion is in progress",
        });
        var stored = _store.Put(BuiltInResources.CustomResourceDefinitions.StorageKey, marked);
        if (CustomResourceDefinitions.IsEstablished(existing))
        {
            _store.RemoveAll(CustomResourceDefinitions.ToResourceType(existing).StorageKey);
        }

        var (name, uid) = (ObjectMeta.Name(existing)!, ObjectMeta.Uid(existing));
        _ = Task.Delay(CrdTerminatingDelay, _time).ContinueWith(_ => FinishTerminating(name, uid), TaskScheduler.Default);
        return stored;
    }

    /// <summary>The finalizer controller's end: the terminating CRD (unless made again since) goes, and with it its resource.</summary>
    private void FinishTerminating(string name, string? uid)
    {
        lock (_store.Gate)
        {
            var key = new ObjectKey("", name);
            if (_store.Get(BuiltInResources.CustomResourceDefinitions.StorageKey, key) is not { } crd || ObjectMeta.Uid(crd) != uid)
            {
                return;
            }

            _store.Remove(BuiltInResources.CustomResourceDefinitions.StorageKey, key);
            AfterWrite(BuiltInResources.CustomResourceDefinitions, crd, null);
        }
    }

    /// <summary>Whether the CRD serving this custom resource is Terminating (being deleted).</summary>
    private bool IsTerminating(ResourceType type) =>
        _store.Get(BuiltInResources.CustomResourceDefinitions.StorageKey, new ObjectKey("", type.Plural + "." + type.Group)) is { } crd
        && ObjectMeta.Of(crd)["deletionTimestamp"] is not null;

    /// <summary>
    /// rest.BeforeDelete with the pod strategy's CheckGracefulDelete, and what the generic store's Delete does with it.
    /// The grace period is the request's <c>gracePeriodSeconds</c> (negative: 1), else the pod's
    /// <c>terminationGracePeriodSeconds</c>; 0 for a pod bound to no node or terminal (Succeeded, Failed). A pod not yet
    /// terminating is marked (<c>deletionTimestamp</c> now + period, <c>deletionGracePeriodSeconds</c>, generation + 1)
    /// and that is stored, whatever the period: with 0 it is then deleted at once, so a watcher sees a MODIFIED and a
    /// DELETED, as from a real server. A pod already terminating is left as it is (the same object) unless the request
    /// shortens its period, which moves the timestamp as much earlier (not before now; a period left above 0 whose time
    /// has passed becomes 1, for its kubelet to finish), and with 0 deletes it after that write too; one whose period is
    /// already 0 is deleted without a write.
    /// </summary>
    /// <returns>The object to store (null: none, or <paramref name="existing"/>: nothing to write), and whether to delete it then.</returns>
    private (JsonObject? Marked, bool DeleteNow) GracefulDeletion(JsonObject existing, JsonObject? options)
    {
        var requested = Seconds(options?["gracePeriodSeconds"]);
        if (requested < 0)
        {
            requested = 1;
        }

        var now = _time.GetUtcNow();
        var meta = ObjectMeta.Of(existing);
        if (meta["deletionTimestamp"]?.ToString() is { } deleting)
        {
            var current = Seconds(meta["deletionGracePeriodSeconds"]) ?? 0;
            if (current == 0)
            {
                return (null, true);
            }

            if (requested is not { } shorter || shorter >= current)
            {
                return (existing, false);
            }

            var at = DateTimeOffset.Parse(deleting, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal).AddSeconds(shorter - current);
            if (at < now)
            {
                at = now;
                shorter = shorter == 0 ? 0 : 1;
            }

            var moved = existing.DeepClone().AsObject();
            ObjectMeta.Of(moved)["deletionTimestamp"] = Timestamp(at);
            ObjectMeta.Of(moved)["deletionGracePeriodSeconds"] = shorter;
            return (moved, shorter == 0);
        }

        var period = requested ?? Seconds(existing["spec"]?["terminationGracePeriodSeconds"]) ?? 0;
        var phase = existing["status"]?["phase"]?.ToString();
        if (existing["spec"]?["nodeName"]?.ToString() is not { Length: > 0 } || phase is "Succeeded" or "Failed")
        {
            period = 0;
        }

        var marked = existing.DeepClone().AsObject();
        var markedMeta = ObjectMeta.Of(marked);
        markedMeta["deletionTimestamp"] = Timestamp(now.AddSeconds(period));
        markedMeta["deletionGracePeriodSeconds"] = period;
        if (ObjectMeta.Generation(existing) > 0)
        {
            markedMeta["generation"] = ObjectMeta.Generation(existing) + 1;
        }

        return (marked, period == 0);
    }

    private static long? Seconds(JsonNode? value) => value is JsonValue ? long.Parse(value.ToJsonString(), CultureInfo.InvariantCulture) : null;

    private static void NamespaceDefaults(JsonObject obj)
    {
        var meta = ObjectMeta.Of(obj);
        var labels = meta["labels"] as JsonObject ?? [];
        labels["kubernetes.io/metadata.name"] = ObjectMeta.Name(obj);
        meta["labels"] = labels;
        var spec = obj["spec"] as JsonObject ?? [];
        spec["finalizers"] ??= new JsonArray("kubernetes");
        obj["spec"] = spec;
    }

    /// <summary>A dry-run create gives back what <see cref="BeforeCreate"/> allocated (a Service's cluster IPs).</summary>
    private void ForgetAllocations(ResourceType type, JsonObject obj)
    {
        if (type == BuiltInResources.Services)
        {
            AfterWrite(type, obj, null);
        }
    }

    private static JsonObject PodSpecDefaults(JsonObject spec)
    {
        spec["restartPolicy"] ??= "Always";
        spec["terminationGracePeriodSeconds"] ??= 30;
        spec["dnsPolicy"] ??= "ClusterFirst";
        spec["serviceAccountName"] ??= "default";
        spec["serviceAccount"] ??= spec["serviceAccountName"]!.DeepClone();
        spec["schedulerName"] ??= "default-scheduler";
        spec["enableServiceLinks"] ??= true;
        return spec;
    }

    /// <summary>apps/v1 SetDefaults_Deployment, and the pod template's defaults.</summary>
    private static void DeploymentDefaults(JsonObject obj)
    {
        var spec = obj["spec"] as JsonObject ?? [];
        obj["spec"] = spec;
        spec["replicas"] ??= 1;
        spec["revisionHistoryLimit"] ??= 10;
        spec["progressDeadlineSeconds"] ??= 600;
        var strategy = spec["strategy"] as JsonObject ?? [];
        spec["strategy"] = strategy;
        strategy["type"] ??= "RollingUpdate";
        if (strategy["type"]?.ToString() == "RollingUpdate")
        {
            var rolling = strategy["rollingUpdate"] as JsonObject ?? [];
            strategy["rollingUpdate"] = rolling;
            rolling["maxUnavailable"] ??= "25%";
            rolling["maxSurge"] ??= "25%";
        }

        var template = spec["template"] as JsonObject ?? [];
        spec["template"] = template;
        template["spec"] = PodSpecDefaults(template["spec"] as JsonObject ?? []);
    }

    /// <summary>admissionregistration/v1 defaults: failurePolicy Fail, matchPolicy Equivalent, empty selectors, 10 s, scope *, port 443.</summary>
    private static void WebhookDefaults(JsonObject obj, bool mutating)
    {
        foreach (var webhook in (obj["webhooks"] as JsonArray ?? []).OfType<JsonObject>())
        {
            webhook["failurePolicy"] ??= "Fail";
            webhook["matchPolicy"] ??= "Equivalent";
            webhook["namespaceSelector"] ??= new JsonObject();
            webhook["objectSelector"] ??= new JsonObject();
            webhook["timeoutSeconds"] ??= 10;
            if (mutating)
            {
                webhook["reinvocationPolicy"] ??= "Never";
            }

            foreach (var rule in (webhook["rules"] as JsonArray ?? []).OfType<JsonObject>())
            {
                rule["scope"] ??= "*";
            }

            if (webhook["clientConfig"]?["service"] is JsonObject service)
            {
                service["port"] ??= 443;
            }
        }
    }

    /// <summary>
    /// Service defaulting and the ClusterIP allocator: an unset or empty <c>spec.clusterIP</c> gets the next free address
    /// (on update, the one it had); a requested one must be in range and free; a set one never changes.
    /// </summary>
    private void ServiceDefaults(JsonObject obj, JsonObject? existing)
    {
        var type = BuiltInResources.Services;
        var name = ObjectMeta.Name(obj) ?? "";
        var spec = obj["spec"] as JsonObject ?? [];
        obj["spec"] = spec;
        spec["type"] ??= "ClusterIP";
        spec["sessionAffinity"] ??= "None";
        foreach (var port in (spec["ports"] as JsonArray ?? []).OfType<JsonObject>())
        {
            port["protocol"] ??= "TCP";
            port["targetPort"] ??= port["port"]?.DeepClone();
        }

        if (spec["type"]?.ToString() == "ExternalName")
        {
            return;
        }

        var requested = spec["clusterIP"]?.ToString() is { Length: > 0 } ip ? ip
            : spec["clusterIPs"] is JsonArray { Count: > 0 } ips ? ips[0]?.ToString() : null;
        var had = existing?["spec"]?["clusterIP"]?.ToString();
        if (had is not null)
        {
            if (requested is not null && requested != had)
            {
                throw ApiException.Invalid(type, name, "spec.clusterIPs[0]", "FieldValueInvalid", $"Invalid value: []string{{\"{requested}\"}}: may not change once set");
            }

            requested = had;
        }
        else if (requested is null)
        {
            requested = _serviceIps.Allocate()
                ?? throw ApiException.Invalid(type, name, "spec.clusterIPs", "FieldValueInvalid", "Invalid value: []string(nil): failed to allocate IP: range is full");
        }
        else if (requested != "None")
        {
            if (!_serviceIps.Contains(requested))
            {
                throw ApiException.Invalid(type, name, "spec.clusterIPs", "FieldValueInvalid", $"Invalid value: []string{{\"{requested}\"}}: failed to allocate IP {requested}: the provided IP ({requested}) is not in the valid range");
            }

            if (_serviceIps.IsTaken(requested))
            {
                throw ApiException.Invalid(type, name, "spec.clusterIPs", "FieldValueInvalid", $"Invalid value: []string{{\"{requested}\"}}: failed to allocate IP {requested}: provided IP is already allocated");
            }

            _serviceIps.Take(requested);
        }

        spec["clusterIP"] = requested;
        spec["clusterIPs"] = new JsonArray(requested);
        if (requested != "None" || existing is null)
        {
            spec["ipFamilies"] ??= new JsonArray("IPv4");
            spec["ipFamilyPolicy"] ??= "SingleStack";
        }

        spec["internalTrafficPolicy"] ??= "Cluster";
    }
}
