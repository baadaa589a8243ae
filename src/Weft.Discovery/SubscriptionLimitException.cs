namespace Weft.Discovery;

/// <summary>
/// A new destination was not subscribed to because the client already holds <see cref="DiscoveryClient.MaxSubscriptions"/>
/// streams (issue 15); the proxy answers the request 503 with this message. Destinations already subscribed keep working.
/// </summary>
public sealed class SubscriptionLimitException : Exception
{
    public SubscriptionLimitException()
    {
    }

    public SubscriptionLimitException(string message)
        : base(message)
    {
    }

    public SubscriptionLimitException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
