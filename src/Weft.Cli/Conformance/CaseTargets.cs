using System.Globalization;
using System.Net;

namespace Weft.Cli.Conformance;

/// <summary>A case's <c>target</c> (SCHEMA.md): where the connection goes instead of the URL's host, live or offline alike.</summary>
internal static class CaseTargets
{
    /// <summary>
    /// The URL with <c>{target}</c> replaced by the target's ip:port, and that ip:port as the connection target. The
    /// target is looked up in the URL host's namespace (<c>svc.ns</c>), else the client's; <paramref name="addressOf"/>
    /// gives the IP of the Service's ClusterIP or of a pod of the Deployment there, or null.
    /// </summary>
    public static (string Url, string? ConnectTo, string? Error) Resolve(
        string url, CaseTarget? target, string fromNamespace, Func<CaseTarget, string, string?> addressOf)
    {
        if (target is null)
        {
            return (url, null, null);
        }

        var host = new Uri(url.Replace("{target}", "target", StringComparison.Ordinal)).Host;
        var ns = host != "target" && host.Split('.') is { Length: > 1 } labels && !IPAddress.TryParse(host, out _) ? labels[1] : fromNamespace;
        if (addressOf(target, ns) is not { } ip)
        {
            return (url, null, $"target {target.Kind} {ns}/{target.Name} not found");
        }

        var connectTo = $"{ip}:{target.Port.ToString(CultureInfo.InvariantCulture)}";
        return (url.Replace("{target}", connectTo, StringComparison.Ordinal), connectTo, null);
    }
}
