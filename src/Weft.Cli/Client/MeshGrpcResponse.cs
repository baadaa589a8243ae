using System.Text;
using Weft.Routing.Planning;

namespace Weft.Cli.Client;

/// <summary>The outcome of an echo gRPC call through the mesh: the gRPC status and, when OK, the echo text.</summary>
internal sealed record MeshGrpcResponse
{
    /// <summary>The gRPC status code (0 OK, 14 UNAVAILABLE, …).</summary>
    public required int Status { get; init; }

    /// <summary>The status's canonical name, as the case files write it: <c>OK</c>, <c>UNAVAILABLE</c>.</summary>
    public string StatusName => GrpcStatusCodes.Name(Status);

    /// <summary>The status message (<c>grpc-message</c>), empty when none.</summary>
    public string Detail { get; init; } = "";

    /// <summary>The echo server's reply (<c>EchoResponse.message</c>), empty unless OK.</summary>
    public string Message { get; init; } = "";

    /// <summary>Response headers and trailers, one entry per value.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

    public IReadOnlyList<KeyValuePair<string, string>> Trailers { get; init; } = [];

    /// <summary>Why the call failed below gRPC (the transport's own error), for diagnostics; null when none.</summary>
    public Exception? TransportError { get; init; }

    /// <summary>The joined values of response header or trailer <paramref name="name"/>, or null.</summary>
    public string? Header(string name)
    {
        var values = Headers.Concat(Trailers).Where(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value).ToList();
        return values.Count == 0 ? null : string.Join(',', values);
    }

    /// <summary>
    /// The upstream echo client's output for this call (istio pkg/test/echo/server/forwarder/grpc.go): the call line,
    /// each non-empty line of the reply as <c>[i body] …</c>, then Weft's <c>[i] Status=NAME</c> line.
    /// </summary>
    public string Format(int index, string requestMessage = "", bool includeHeaders = false)
    {
        var text = new StringBuilder();
        text.Append('[').Append(index).Append("] grpcecho.Echo(message:\"").Append(requestMessage).Append("\")\n");
        if (includeHeaders)
        {
            foreach (var (name, value) in Headers.OrderBy(h => h.Key, StringComparer.Ordinal))
            {
                text.Append('[').Append(index).Append("] ResponseHeader=").Append(name).Append(':').Append(value).Append('\n');
            }

            foreach (var (name, value) in Trailers.OrderBy(h => h.Key, StringComparer.Ordinal))
            {
                text.Append('[').Append(index).Append("] ResponseTrailer=").Append(name).Append(':').Append(value).Append('\n');
            }
        }

        foreach (var line in Message.Split('\n'))
        {
            if (line.Length > 0)
            {
                text.Append('[').Append(index).Append(" body] ").Append(line).Append('\n');
            }
        }

        text.Append('[').Append(index).Append("] Status=").Append(StatusName);
        if (Detail.Length > 0)
        {
            text.Append(" (").Append(Detail).Append(')');
        }

        return text.Append('\n').ToString();
    }
}
