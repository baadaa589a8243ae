namespace Weft.ControlPlane;

/// <summary>The names the discovery server's certificate carries, and how long each certificate lives (renewed at half).</summary>
public sealed record ServingIdentity(IReadOnlyList<string> DnsNames, IReadOnlyList<System.Net.IPAddress> Addresses)
{
    public TimeSpan Lifetime { get; init; } = TimeSpan.FromDays(7);
}
