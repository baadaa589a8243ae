using System.Net.Security;

namespace Weft.Proxy.Security;

/// <summary>An mTLS stream that leaves <see cref="MtlsConnections"/> when it is disposed.</summary>
internal sealed class TrackedSslStream(Stream inner, MtlsConnections registry) : SslStream(inner, leaveInnerStreamOpen: false)
{
    private int _closed;

    public long Id { get; } = registry.NextId();

    public string PeerIdentity { get; set; } = "";

    public override async ValueTask DisposeAsync()
    {
        Unregister();
        await base.DisposeAsync().ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        Unregister();
        base.Dispose(disposing);
    }

    private void Unregister()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0)
        {
            registry.Closed(Id);
        }
    }
}
