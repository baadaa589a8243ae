namespace Weft.Cli.Client;

/// <summary>An HTTP request to send through a pod's sidecar.</summary>
internal sealed record MeshRequest
{
    /// <summary><c>http://host[:port]/path?query</c>; host is what the app addresses (a Service name, <c>svc.ns</c>, or an IP).</summary>
    public required Uri Url { get; init; }

    public string Method { get; init; } = "GET";

    /// <summary>Request headers in order; a <c>Host</c> entry replaces the Host header (only: the connection still goes to <see cref="Url"/>'s host).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

    /// <summary>Where the sidecar should connect (the CONNECT target, <c>host:port</c>) instead of <see cref="Url"/>'s authority.</summary>
    public string? ConnectTo { get; init; }

    public byte[]? Body { get; init; }

    /// <summary>The Host header: the last <c>Host</c> entry of <see cref="Headers"/>, else the URL's host with its port unless 80.</summary>
    public string HostHeader =>
        Headers.LastOrDefault(h => h.Key.Equals("Host", StringComparison.OrdinalIgnoreCase)).Value
        ?? (Url.IsDefaultPort || Url.Port == 80 ? Url.Host : $"{Url.Host}:{Url.Port}");

    /// <summary>The CONNECT target: <see cref="ConnectTo"/>, else the URL's host and port (80 by default).</summary>
    public (string Host, int Port) Target
    {
        get
        {
            if (ConnectTo is null)
            {
                return (Url.Host, Url.Port < 0 ? 80 : Url.Port);
            }

            var colon = ConnectTo.LastIndexOf(':');
            return colon > 0 && int.TryParse(ConnectTo.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port)
                ? (ConnectTo[..colon], port)
                : (ConnectTo, 80);
        }
    }
}
