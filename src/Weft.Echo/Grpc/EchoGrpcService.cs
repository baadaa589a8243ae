using System.Globalization;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Weft.Echo.Http;
using Weft.Echo.Protocol;
using WireEchoResponse = Weft.Echo.Protocol.EchoResponse;

namespace Weft.Echo.Grpc;

/// <summary>
/// The upstream echo app's gRPC service (istio pkg/test/echo/server/endpoint/grpc.go): <c>Echo</c> answers the
/// echo text format with <c>Proto=GRPC</c>, the :authority as <c>Host=</c>, request metadata as
/// <c>RequestHeader=</c> lines and the request message as <c>Echo=</c>. <c>ForwardEcho</c> (make requests on the
/// caller's behalf) is not implemented: Weft's runner sends its own requests.
/// </summary>
internal sealed class EchoGrpcService(EchoOptions options, ILogger<EchoGrpcService> logger) : Protocol.EchoTestService.EchoTestServiceBase
{
    // grpc-go keeps these transport headers out of the metadata a handler sees (isReservedHeader);
    // user-agent is reserved but passed through, so it is not listed.
    private static readonly HashSet<string> ReservedHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "content-type", "te", "grpc-message-type", "grpc-encoding", "grpc-message", "grpc-status", "grpc-timeout",
        "grpc-status-details-bin", "host",
    };

    public override Task<WireEchoResponse> Echo(EchoRequest request, ServerCallContext context)
    {
        var http = context.GetHttpContext();
        EchoLog.GrpcRequest(logger, context.Method, http.Connection.LocalPort);

        var metadata = new List<KeyValuePair<string, IReadOnlyList<string>>>();
        foreach (var (name, values) in http.Request.Headers)
        {
            if (name.StartsWith(':') || ReservedHeaders.Contains(name) || name.EndsWith("-bin", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            // gRPC metadata keys are lower case (grpc-go lowercases them); keep that form.
            metadata.Add(new(name.ToLowerInvariant(), [.. values.Select(v => v ?? "")]));
        }

        var text = new EchoText()
            .Field(EchoField.StatusCode, "200")
            .Field(EchoField.ServiceVersion, options.ServiceVersion)
            .Field(EchoField.ServicePort, http.Connection.LocalPort.ToString(CultureInfo.InvariantCulture))
            .Field(EchoField.Host, http.Request.Headers.Host.ToString())
            .Field(EchoField.Url, context.Method)
            .Field(EchoField.Cluster, options.Cluster)
            .Field(EchoField.IstioVersion, options.IstioVersion)
            .Field(EchoField.Method, http.Request.Method)
            .Field(EchoField.Proto, "GRPC")
            .Field(EchoField.IP, EchoHttpHandler.ClientAddress(http.Connection.RemoteIpAddress))
            .Field(EchoField.Alpn, "")
            .RequestHeaders(metadata)
            .Field(EchoField.Echo, request.Message)
            .Field(EchoField.Hostname, options.Hostname);

        return Task.FromResult(new WireEchoResponse { Message = text.ToString() });
    }

    public override Task<ForwardEchoResponse> ForwardEcho(ForwardEchoRequest request, ServerCallContext context) =>
        throw new RpcException(new Status(StatusCode.Unimplemented, "ForwardEcho is not implemented by Weft's echo server"));
}
