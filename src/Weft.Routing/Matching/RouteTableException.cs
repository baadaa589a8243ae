namespace Weft.Routing.Matching;

/// <summary>A <see cref="Policy.DestinationPolicy"/> that cannot be compiled into a <see cref="RouteTable"/>; the proxy NACKs it and keeps its last good table.</summary>
public sealed class RouteTableException : Exception
{
    public RouteTableException()
    {
    }

    public RouteTableException(string message)
        : base(message)
    {
    }

    public RouteTableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
