namespace Weft.Proxy.LoadBalancing;

/// <summary>Requests outstanding to one endpoint (address:port), shared by every destination that reaches it.</summary>
internal sealed class EndpointLoad
{
    private int _outstanding;

    public int Outstanding => Volatile.Read(ref _outstanding);

    /// <summary>Counts a request until the returned lease is disposed.</summary>
    public Lease Begin()
    {
        Interlocked.Increment(ref _outstanding);
        return new Lease(this);
    }

    public readonly struct Lease(EndpointLoad load) : IDisposable
    {
        public void Dispose() => Interlocked.Decrement(ref load._outstanding);
    }
}
