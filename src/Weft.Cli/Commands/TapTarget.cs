using Grpc.Core;
using Weft.Cli.Local;
using Weft.Discovery;
using Weft.Discovery.V1;

namespace Weft.Cli.Commands;

/// <summary>
/// What <c>weft tap</c> and <c>weft top</c> share: the target (<c>deploy/NAME</c> or <c>pod/NAME</c>), the running mesh
/// found through its state file, and the event stream read from its control plane with the admin credential (the same
/// credential <c>weft status</c> presents). The control plane calls the sidecars; this process never does.
/// </summary>
internal static class TapTarget
{
    /// <summary>Parses <c>deploy/NAME</c>, <c>deployment/NAME</c> or <c>pod/NAME</c> (a bare NAME is a Deployment).</summary>
    public static bool TryParse(string text, out string kind, out string name, out string? error)
    {
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        (kind, name) = slash < 0 ? ("deploy", text) : (text[..slash], text[(slash + 1)..]);
        kind = kind switch { "deployment" or "deployments" or "deploy" => "deploy", "pod" or "pods" or "po" => "pod", _ => kind };
        error = kind is not ("deploy" or "pod") ? $"cannot tap '{text}': name deploy/NAME or pod/NAME"
            : name.Length == 0 ? $"'{text}' names no {kind}" : null;
        return error is null;
    }

    /// <summary>Parses <c>--to svc/NAME</c> (or a bare NAME) into the destination Service, <c>namespace/name</c> in <paramref name="namespace"/>.</summary>
    public static bool TryParseTo(string? text, string @namespace, out string service, out string? error)
    {
        service = "";
        error = null;
        if (string.IsNullOrEmpty(text))
        {
            return true;
        }

        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var kind = slash < 0 ? "svc" : text[..slash];
        if (kind is not ("svc" or "service" or "services"))
        {
            error = $"--to '{text}': name the destination Service, svc/NAME (the sidecar knows the Service a request went to)";
            return false;
        }

        var name = slash < 0 ? text : text[(slash + 1)..];
        if (name.Length == 0 || name.Contains('/', StringComparison.Ordinal))
        {
            error = $"--to '{text}': name the destination Service, svc/NAME (in the namespace -n names)";
            return false;
        }

        // The sidecar compares the whole namespace/name: a Service of that name in another namespace is another Service.
        service = $"{@namespace}/{name}";
        return true;
    }

    /// <summary>
    /// The events of <paramref name="request"/>, from the control plane <paramref name="access"/> names; writes why not and yields
    /// nothing when the mesh or its credential cannot be found or the control plane refuses.
    /// </summary>
    public static async IAsyncEnumerable<TapEvent> StreamAsync(string command, ControlPlaneAdmin.Query access, TapRequest request,
        TextWriter errors, Action<int> exitCode, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        if (await ControlPlaneAdmin.FindAsync(command, access, errors, ct) is not { } admin)
        {
            exitCode(1);
            yield break;
        }

        var controlPlane = admin.ControlPlane;
        var events = DiscoveryClient.TapAsync(controlPlane, request, admin.Roots, admin.Credentials, ct, admin.ServerName).GetAsyncEnumerator(ct);
        try
        {
            while (true)
            {
                try
                {
                    if (!await events.MoveNextAsync())
                    {
                        break;
                    }
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled || ct.IsCancellationRequested)
                {
                    break;
                }
                catch (RpcException e)
                {
                    errors.WriteLine($"weft {command}: {e.Status.Detail}");
                    exitCode(1);
                    break;
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                catch (HttpRequestException e)
                {
                    errors.WriteLine($"weft {command}: the control plane {controlPlane} did not answer: {e.Message} (is the mesh running?)");
                    exitCode(1);
                    break;
                }

                yield return events.Current;
            }
        }
        finally
        {
            await events.DisposeAsync();
        }
    }

    /// <summary>Who sent a request: the workload when known, else the SPIFFE ID, else "-".</summary>
    public static string Source(TapEvent e) =>
        e.SrcWorkload.Length > 0 ? $"{e.SrcNamespace}/{e.SrcWorkload}" : e.SrcIdentity.Length > 0 ? e.SrcIdentity : "-";

    /// <summary>Where a request went: the Service for an outbound one, the workload for an inbound one.</summary>
    public static string Destination(TapEvent e) =>
        e.DstService.Length > 0 ? $"svc/{e.DstService}" : e.DstWorkload.Length > 0 ? $"{e.DstNamespace}/{e.DstWorkload}" : e.Authority;
}
