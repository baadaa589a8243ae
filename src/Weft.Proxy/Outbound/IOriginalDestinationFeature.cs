namespace Weft.Proxy.Outbound;

/// <summary>
/// Where an intercepted connection was going (decision 5: the service is chosen by the original destination, not by Host).
/// Set on the connection by the CONNECT tunnel (and, later, by SO_ORIGINAL_DST interception).
/// </summary>
public interface IOriginalDestinationFeature
{
    string Host { get; }

    int Port { get; }
}

internal sealed record OriginalDestination(string Host, int Port) : IOriginalDestinationFeature;
