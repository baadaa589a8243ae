using System.Net;
using Weft.Api.Model;

namespace Weft.Api.Validation;

/// <summary>Core objects: enough of the API server's validation to reject garbage (ports, names, protocols, selectors).</summary>
internal static partial class CrdValidator
{
    private static readonly string[] ServiceTypes = ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"];
    private static readonly string[] Protocols = ["TCP", "UDP", "SCTP"];
    private static readonly string[] AddressTypes = ["IPv4", "IPv6", "FQDN"];

    private static void Service(FieldErrors errors, Service service)
    {
        var spec = service.Spec;
        errors.Enum("spec.type", spec.Type, ServiceTypes);
        if (spec.Type == "ExternalName")
        {
            if (string.IsNullOrEmpty(spec.ExternalName))
            {
                errors.Required("spec.externalName", null, "set externalName to the DNS name the Service aliases");
            }
        }
        else if (spec.Ports.Count == 0 && !service.IsHeadless)
        {
            errors.Required("spec.ports", null, "list at least one port, e.g. - port: 80");
        }

        if (spec.ClusterIP is { Length: > 0 } ip && ip != "None" && !IPAddress.TryParse(ip, out _))
        {
            errors.Invalid("spec.clusterIP", ip, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)", "use an IP address, None (headless), or leave it out");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        var keys = new HashSet<(int, string)>();
        for (var i = 0; i < spec.Ports.Count; i++)
        {
            var p = spec.Ports[i];
            var path = $"spec.ports[{i}]";
            if (string.IsNullOrEmpty(p.Name))
            {
                if (spec.Ports.Count > 1)
                {
                    errors.Required($"{path}.name", null, "name every port when a Service has more than one (e.g. http, grpc)");
                }
            }
            else
            {
                DnsLabel(errors, $"{path}.name", p.Name);
                if (!names.Add(p.Name))
                {
                    errors.Duplicate($"{path}.name", FieldErrors.Quote(p.Name), "give each port a different name");
                }
            }

            Port(errors, $"{path}.port", p.Port);
            errors.Enum($"{path}.protocol", p.Protocol, Protocols);
            if (!keys.Add((p.Port, p.Protocol)))
            {
                errors.Duplicate(path, $"core.ServicePort{{Port:{p.Port}, Protocol:{FieldErrors.Quote(p.Protocol)}}}", "each port number and protocol may appear only once");
            }

            if (p.TargetPort.Number is { } n)
            {
                Port(errors, $"{path}.targetPort", n);
            }
            else if (p.TargetPort.Text is { } text)
            {
                PortName(errors, $"{path}.targetPort", text);
            }
        }
    }

    private static void EndpointSlice(FieldErrors errors, EndpointSlice slice)
    {
        errors.Enum("addressType", slice.AddressType, AddressTypes);
        errors.MaxItems("endpoints", slice.Endpoints, 1000);
        for (var i = 0; i < slice.Endpoints.Count; i++)
        {
            var path = $"endpoints[{i}].addresses";
            var addresses = slice.Endpoints[i].Addresses;
            errors.MinItems(path, addresses, 1);
            errors.MaxItems(path, addresses, 100);
            if (slice.AddressType is "IPv4" or "IPv6")
            {
                for (var j = 0; j < addresses.Count; j++)
                {
                    var family = slice.AddressType == "IPv4" ? System.Net.Sockets.AddressFamily.InterNetwork : System.Net.Sockets.AddressFamily.InterNetworkV6;
                    if (!IPAddress.TryParse(addresses[j], out var ip) || ip.AddressFamily != family)
                    {
                        errors.Invalid($"{path}[{j}]", addresses[j], $"must be a valid {slice.AddressType} address", $"use an {slice.AddressType} address, or change addressType");
                    }
                }
            }
        }

        for (var i = 0; i < slice.Ports.Count; i++)
        {
            var p = slice.Ports[i];
            errors.Range($"ports[{i}].port", p.Port, 0, 65535);
            errors.Enum($"ports[{i}].protocol", p.Protocol, Protocols);
            if (p.Name is { Length: > 0 } name)
            {
                DnsLabel(errors, $"ports[{i}].name", name);
            }
        }
    }

    private static void Deployment(FieldErrors errors, Deployment deployment)
    {
        errors.Minimum("spec.replicas", deployment.Replicas, 0);
        if (deployment.SelectorMatchLabels.Count == 0)
        {
            errors.Required("spec.selector", null, "add spec.selector.matchLabels matching spec.template.metadata.labels");
        }
        else if (deployment.SelectorMatchLabels.Any(kv => !deployment.Template.Labels.TryGetValue(kv.Key, out var v) || v != kv.Value))
        {
            var labels = string.Join(",", deployment.Template.Labels.Select(kv => $"{kv.Key}:{kv.Value}"));
            errors.Invalid("spec.template.metadata.labels", $"map[{labels}]", "`selector` does not match template `labels`",
                "make spec.template.metadata.labels include every label in spec.selector.matchLabels");
        }

        PodSpec(errors, "spec.template.spec", deployment.Template.Spec, requireImage: true);
    }

    private static void PodSpec(FieldErrors errors, string path, PodSpec spec, bool requireImage)
    {
        if (spec.ServiceAccountName.Length > 253 || !Patterns.Rfc1123Subdomain.IsMatch(spec.ServiceAccountName))
        {
            errors.Invalid($"{path}.serviceAccountName", spec.ServiceAccountName, "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'",
                "use the name of a ServiceAccount in the same namespace");
        }

        // A negative terminationGracePeriodSeconds is no error: the API server accepts it with a warning and treats it as 1
        // (PodSpec.GracePeriod).
        if (spec.Containers.Count == 0)
        {
            errors.Required($"{path}.containers", null, "add at least one container with a name and an image");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < spec.Containers.Count; i++)
        {
            var c = spec.Containers[i];
            var item = $"{path}.containers[{i}]";
            DnsLabel(errors, $"{item}.name", c.Name);
            if (!names.Add(c.Name))
            {
                errors.Duplicate($"{item}.name", FieldErrors.Quote(c.Name), "give each container a different name");
            }

            if (requireImage && string.IsNullOrWhiteSpace(c.Image))
            {
                errors.Required($"{item}.image", null, "set the container image");
            }

            for (var j = 0; j < c.Ports.Count; j++)
            {
                Port(errors, $"{item}.ports[{j}].containerPort", c.Ports[j].Port);
                errors.Enum($"{item}.ports[{j}].protocol", c.Ports[j].Protocol, Protocols);
                if (c.Ports[j].Name is { Length: > 0 } portName)
                {
                    PortName(errors, $"{item}.ports[{j}].name", portName);
                }
            }

            for (var j = 0; j < c.Env.Count; j++)
            {
                if (c.Env[j].Name.Length == 0)
                {
                    errors.Required($"{item}.env[{j}].name", null, "give the variable a name");
                }
            }
        }
    }

    private static void Port(FieldErrors errors, string path, int port)
    {
        if (port is < 1 or > 65535)
        {
            errors.Invalid(path, port.ToString(System.Globalization.CultureInfo.InvariantCulture), "must be between 1 and 65535, inclusive", "use a port number from 1 to 65535");
        }
    }

    private static void DnsLabel(FieldErrors errors, string path, string value)
    {
        if (value.Length > 63 || !Patterns.Rfc1123Label.IsMatch(value))
        {
            errors.Invalid(path, value,
                "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
                "use lowercase letters, digits and '-', at most 63 characters, e.g. 'http'");
        }
    }

    /// <summary>IANA_SVC_NAME: at most 15 characters, lowercase letters, digits and '-', at least one letter, no '--', no leading or trailing '-'.</summary>
    private static void PortName(FieldErrors errors, string path, string value)
    {
        var ok = value.Length is >= 1 and <= 15
            && value.All(ch => char.IsAsciiLetterLower(ch) || char.IsAsciiDigit(ch) || ch == '-')
            && value.Any(char.IsAsciiLetterLower)
            && !value.StartsWith('-') && !value.EndsWith('-')
            && !value.Contains("--", StringComparison.Ordinal);
        if (!ok)
        {
            errors.Invalid(path, value, "must be a number from 1 to 65535 or a port name of at most 15 lowercase letters, digits and '-' (with at least one letter)",
                "use the container port's number, or its name as declared in the Pod's ports");
        }
    }

    private static void IpAddress(FieldErrors errors, string path, string? value)
    {
        if (value is { Length: > 0 } && !IPAddress.TryParse(value, out _))
        {
            errors.Invalid(path, value, "must be a valid IP address", "use an IP address such as 10.0.0.5");
        }
    }
}
