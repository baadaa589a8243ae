using System.Globalization;
using Weft.Api.Model;

namespace Weft.Routing;

/// <summary>
/// The sidecar's listeners on the pod IP (Istio's numbers): what the proxy binds by default, what <c>weft init</c>'s capture
/// rules redirect to and spare, what the injector keeps app containers off, and what <c>weft up</c> dials.
/// </summary>
public static class MeshPorts
{
    /// <summary>Admin: <c>/ready</c>, <c>/stats</c>, <c>/metrics</c>, the app's rewritten probes; never captured.</summary>
    public const int Admin = 15000;

    /// <summary>Outbound: the app's captured connections (on 127.0.0.1), or its proxy settings' CONNECT and absolute-form requests.</summary>
    public const int Outbound = 15001;

    /// <summary>Inbound: peer sidecars (mTLS, <see cref="MeshWire.DestinationPortHeader"/>) and connections captured on their way to the app.</summary>
    public const int Inbound = 15006;

    /// <summary>
    /// The user and group id the sidecar runs as (Istio's): the capture rules spare its traffic by this id, so the
    /// injector and <c>weft up</c> must run it as exactly this one.
    /// </summary>
    public const int SidecarUid = 1337;

    /// <summary>The sidecar container the injector adds to a pod.</summary>
    public const string SidecarContainer = "weft-proxy";

    /// <summary>
    /// The admin port of <paramref name="pod"/>'s sidecar, as the pod shows it: the last <c>--admin-port</c> on its
    /// <see cref="SidecarContainer"/> container's command line (as <c>weft-proxy</c> parses it), else <see cref="Admin"/>,
    /// which a sidecar binds without the flag. A pod of <c>weft up</c> has no sidecar container in its spec (its sidecar runs
    /// beside it, at the defaults). Whether the pod has a sidecar at all is its level's (<see cref="MeshLevels.Of"/>).
    /// </summary>
    /// <remarks>
    /// Not the container's port named <c>weft-admin</c>: Kubernetes does nothing with a declared port, so where it and the
    /// flag disagree the flag is what the sidecar listens on.
    /// </remarks>
    public static int AdminOf(Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        var containers = pod.Spec.Containers;
        for (var i = 0; i < containers.Count; i++)
        {
            if (containers[i].Name == SidecarContainer)
            {
                return AdminFlag(containers[i]) ?? Admin;
            }
        }

        return Admin;
    }

    /// <summary>
    /// The last <c>--admin-port</c> value on the container's command line (its command after the binary, then its args, as
    /// Kubernetes runs them, with the <c>$(VAR)</c> references to its variables expanded as the kubelet expands them
    /// first), read as <c>weft-proxy</c> reads it (<see cref="ProxyFlags.TakesValue"/>). A reference to a variable whose
    /// value the spec does not hold (<c>valueFrom</c>) cannot be read here: such a value moves nothing.
    /// </summary>
    private static int? AdminFlag(Container sidecar)
    {
        var (command, args) = (sidecar.Command, sidecar.Args);
        Dictionary<string, string>? env = null; // made at the first word with a reference: most command lines have none
        var skip = Math.Min(command.Count, 1);
        var count = command.Count - skip + args.Count;
        int? found = null;
        for (var i = 0; i + 1 < count; i++)
        {
            var name = Word(i);
            if (!ProxyFlags.TakesValue(name))
            {
                continue;
            }

            // weft-proxy refuses a value that is not a port (and does not start); such a value changes nothing here. An
            // option's name is matched after expansion too: the kubelet expands every word before weft-proxy reads any.
            if (name == ProxyFlags.AdminPort && int.TryParse(Word(i + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port <= 65535)
            {
                found = port;
            }

            i++;
        }

        return found;

        string Word(int k)
        {
            var word = k < command.Count - skip ? command[k + skip] : args[k - (command.Count - skip)];
            return word.Contains('$', StringComparison.Ordinal) ? ContainerVariables.Expand(word, env ??= ContainerVariables.Literal(sidecar)) : word;
        }
    }
}
