using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Weft.Proxy.External;
using Weft.Proxy.Metrics;
using Weft.Routing.Matching;
using Weft.Routing.Policy;

namespace Weft.Proxy.Outbound;

/// <summary>
/// Where traffic for a destination outside the mesh (the control plane answered NOT_FOUND) may go, by the client's
/// outbound policy (issue 17): under registry-only nowhere; under allow-any where the app sent it, an address as given or
/// a host name (an app using the proxy settings) as the sidecar resolves it, through <see cref="ExternalConnector"/>
/// (its own DNS, never to this host's own addresses). Whatever the policy, never to the sidecar's own listeners or the
/// control plane. Refusals are counted (<c>weft_outbound_refused_total</c>); nothing of the mesh goes out with the
/// traffic that is let through (plain TCP or HTTP, no mTLS, no <c>weft-*</c> header).
/// </summary>
internal sealed class OutsideMesh(
    Discovery.IDestinationSource destinations, ExternalConnector externals, Func<IPAddress, int, bool> offLimits, ProxyMetrics metrics, ILogger logger, TimeProvider time)
{
    // A refusal is logged at most once a second, with how many were held back: an app looping on a refused address
    // must not flood the log (the count is in weft_outbound_refused_total).
    private readonly Weft.Discovery.LogLimiter _refusals = new(ProxyLog.RefusalInterval, time);

    /// <summary>
    /// The address to connect to for (host, port), by the client's outbound policy, or the refusal with its HTTP status
    /// and words (503 when the policy cannot be had).
    /// </summary>
    public async ValueTask<OutsideVerdict> DecideAsync(string host, int port, CancellationToken ct)
    {
        OutsidePolicy policy;
        try
        {
            policy = await destinations.OutsideAsync(host, port, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            ProxyLog.DiscoveryFailed(logger, host, port, e);
            return OutsideVerdict.Refused(StatusCodes.Status503ServiceUnavailable, $"no policy for {host}:{port}: {e.Message}");
        }

        return await DecideByAsync(policy, host, port, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// An app that resolved an external host itself connects to an address the mesh does not know (captured, or a
    /// CONNECT to that address): when <paramref name="named"/> (the request's Host, or the ClientHello's SNI) is a host
    /// an XBackend of its namespace declares on this port, that host's route table, whose backend is the sidecar's own
    /// resolution of the name, never the address the app chose; so a forged name reaches only what the namespace
    /// declared. Null otherwise, or when the look-up fails (the outbound policy then decides).
    /// </summary>
    public async ValueTask<RouteTable?> DeclaredAsync(string host, string? named, int port, CancellationToken ct)
    {
        if (!ExternalResolver.TryParseLiteral(host, out _) || string.IsNullOrEmpty(named) || ExternalResolver.TryParseLiteral(named, out _))
        {
            return null; // the app named a host already (it was looked up), or names none
        }

        try
        {
            return await destinations.GetAsync(named, port, ct).ConfigureAwait(false) is { Policy.DeclaresExternalHost: true } declared ? declared : null;
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            ProxyLog.DiscoveryFailed(logger, named, port, e);
            return null;
        }
    }

    private async ValueTask<OutsideVerdict> DecideByAsync(OutsidePolicy policy, string host, int port, CancellationToken ct)
    {
        var authority = Forwarding.Authority.Format(host, port);
        var literal = ExternalResolver.TryParseLiteral(host, out var address); // "10" is a name, not 0.0.0.10
        if (literal && offLimits(address!, port))
        {
            metrics.RecordOutboundRefused(OutboundRefusal.OffLimits);
            return Refuse(host, port, StatusCodes.Status502BadGateway, $"{authority} is this sidecar or the control plane, which no app reaches through its sidecar");
        }

        if (!policy.AllowsAny)
        {
            metrics.RecordOutboundRefused(OutboundRefusal.RegistryOnly);
            return Refuse(host, port, StatusCodes.Status403Forbidden,
                $"{policy.Mode}: {authority} is not a Service of the mesh (outbound policy from {policy.Source})");
        }

        if (literal)
        {
            return new OutsideVerdict(address, 0, null);
        }

        try
        {
            var endpoints = await externals.EndpointsAsync(new ExternalBackendPolicy { Hostname = host, Port = port, Source = "allow-any" }, ct).ConfigureAwait(false);
            return new OutsideVerdict(IPAddress.Parse(endpoints[Random.Shared.Next(endpoints.Count)].Address), 0, null);
        }
        catch (ExternalResolutionException e)
        {
            return Refuse(host, port, StatusCodes.Status503ServiceUnavailable, e.Message);
        }
    }

    private OutsideVerdict Refuse(string host, int port, int status, string message)
    {
        if (_refusals.TryTake(out var suppressed))
        {
            ProxyLog.OutsideMeshRefused(logger, host, port, message, suppressed);
        }

        return OutsideVerdict.Refused(status, message);
    }
}

/// <summary>
/// <see cref="OutsideMesh.DecideAsync"/>'s answer: the <see cref="Address"/> to connect to, or a refusal with the status
/// an HTTP client gets (403 for the outbound policy, 502 for an address no app may reach, 503 for a name that does not
/// resolve) and the reason.
/// </summary>
internal readonly record struct OutsideVerdict(IPAddress? Address, int Status, string? Message)
{
    public static OutsideVerdict Refused(int status, string message) => new(null, status, message);

    /// <summary>The gRPC status of the refusal: PERMISSION_DENIED for the outbound policy, else UNAVAILABLE.</summary>
    public int GrpcStatus => Status == StatusCodes.Status403Forbidden ? Weft.Routing.Planning.GrpcStatusCodes.PermissionDenied : Weft.Routing.Planning.GrpcStatusCodes.Unavailable;
}
