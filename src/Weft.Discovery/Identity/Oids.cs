namespace Weft.Discovery.Identity;

/// <summary>The X.509 object identifiers the mesh's certificates use (RFC 5280).</summary>
internal static class Oids
{
    public const string BasicConstraints = "2.5.29.19";
    public const string KeyUsage = "2.5.29.15";
    public const string SubjectAlternativeName = "2.5.29.17";
    public const string ExtendedKeyUsage = "2.5.29.37";
    public const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    public const string ClientAuth = "1.3.6.1.5.5.7.3.2";
    public const string NistP256 = "1.2.840.10045.3.1.7";
}
