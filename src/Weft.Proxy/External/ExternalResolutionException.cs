namespace Weft.Proxy.External;

/// <summary>An external host name has no address (<see cref="ExternalResolver"/>): the message says which name and why.</summary>
internal sealed class ExternalResolutionException : Exception
{
    public ExternalResolutionException(string hostname, string reason)
        : base($"cannot resolve {hostname}: {reason}")
    {
        Hostname = hostname;
        Reason = reason;
    }

    public string Hostname { get; }

    /// <summary>Why, in a few words: <c>NXDOMAIN</c>, <c>no A records</c>, each nameserver's failure.</summary>
    public string Reason { get; }
}
