namespace Weft.Echo;

/// <summary>
/// The field names of the upstream echo text format (istio pkg/test/echo/fields.go): one
/// <c>Name=Value</c> per line.
/// </summary>
public static class EchoField
{
    public const string StatusCode = "StatusCode";
    public const string ServiceVersion = "ServiceVersion";
    public const string ServicePort = "ServicePort";
    public const string Host = "Host";
    public const string Url = "URL";
    public const string Cluster = "Cluster";
    public const string IstioVersion = "IstioVersion";
    public const string Method = "Method";
    public const string Proto = "Proto";
    public const string IP = "IP";
    public const string Alpn = "Alpn";

    /// <summary>Weft's, not upstream's: the TLS server name (SNI) the client sent, on TLS ports only.</summary>
    public const string Sni = "Sni";
    public const string RequestHeader = "RequestHeader";
    public const string ResponseHeader = "ResponseHeader";
    public const string Hostname = "Hostname";
    public const string Echo = "Echo";
}
