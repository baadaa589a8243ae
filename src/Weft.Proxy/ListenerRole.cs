namespace Weft.Proxy;

/// <summary>Which of the proxy's listeners a connection arrived on; set as a connection feature by each listener.</summary>
internal enum ListenerRole
{
    Outbound,
    Inbound,
    Admin,
}

internal sealed class ListenerRoleFeature(ListenerRole role)
{
    public ListenerRole Role { get; } = role;
}
