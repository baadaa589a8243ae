namespace Weft.Proxy.Discovery;

/// <summary>No policy is known for a destination yet (the control plane is unreachable or slow); the request gets 503.</summary>
public sealed class DestinationUnavailableException : Exception
{
    public DestinationUnavailableException()
    {
    }

    public DestinationUnavailableException(string message)
        : base(message)
    {
    }

    public DestinationUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
