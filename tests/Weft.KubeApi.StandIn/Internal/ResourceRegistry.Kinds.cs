using System.Text.Json.Nodes;

namespace Weft.KubeApi.StandIn.Internal;

/// <summary>The per-kind rules of the registry (the real server's strategies and admission defaults, in part).</summary>
internal sealed partial class ResourceRegistry
{
    private void BeforeCreate(ResourceType type, JsonObject obj)
    {
        if (type == BuiltInResources.Namespaces)
        {
            NamespaceDefaults(obj);
            obj["status"] = new JsonObject { ["phase"] = "Active" };
        }
        else if (type == BuiltInResources.Services)
        {
            ServiceDefaults(obj, null);
            obj["status"] = new JsonObject { ["loadBalancer"] = new JsonObject() };
        }
        else if (type == BuiltInResources.Pods)
        {
            PodDefaults(obj);
            obj["status"] = new JsonObject { ["phase"] = "Pending", ["qosClass"] = "BestEffort" };
        }
        else if (type == BuiltInResources.Secrets)
        {
            obj["type"] ??= "Opaque";
        }
        else if (type == BuiltInResources.CustomResourceDefinitions)
        {
            obj["status"] = CustomResourceDefinitions.EstablishedStatus(obj, CustomResourceDefinitions.ToResourceType(obj), Now());
        }
    }

    private void BeforeUpdate(ResourceType type, JsonObject existing, JsonObject obj)
    {
        if (type == BuiltInResources.Namespaces)
        {
            NamespaceDefaults(obj);
        }
        else if (type == BuiltInResources.Services)
        {
            ServiceDefaults(obj, existing);
        }
        else if (type == BuiltInResources.Pods)
        {
            PodDefaults(obj);
        }
        else if (type == BuiltInResources.Secrets)
        {
            obj["type"] ??= "Opaque";
        }
        else if (type == BuiltInResources.CustomResourceDefinitions)
        {
            obj["status"] = CustomResourceDefinitions.EstablishedStatus(obj, CustomResourceDefinitions.ToResourceType(obj), Now());
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
            if (after is not null)
            {
                _catalog.Register(CustomResourceDefinitions.ToResourceType(after));
            }
            else if (before is not null)
            {
                var served = CustomResourceDefinitions.ToResourceType(before);
                _store.RemoveAll(served.StorageKey);
                _catalog.Unregister(served.StorageKey);
            }
        }
    }

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

    private static void PodDefaults(JsonObject obj)
    {
        var spec = obj["spec"] as JsonObject ?? [];
        spec["restartPolicy"] ??= "Always";
        spec["terminationGracePeriodSeconds"] ??= 30;
        spec["dnsPolicy"] ??= "ClusterFirst";
        spec["serviceAccountName"] ??= "default";
        spec["serviceAccount"] ??= spec["serviceAccountName"]!.DeepClone();
        spec["schedulerName"] ??= "default-scheduler";
        spec["enableServiceLinks"] ??= true;
        obj["spec"] = spec;
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
