namespace Weft.Proxy.Http1;

/// <summary>What parsing a message head found.</summary>
internal enum HeadStatus
{
    /// <summary>The blank line that ends the head has not arrived yet.</summary>
    NeedMore,

    /// <summary>A well-formed head the fast path forwards as it is.</summary>
    Ready,

    /// <summary>
    /// Anything else. A request (another HTTP version, chunked or upgrade requests, Expect, an unusual or malformed
    /// header) goes to the full Kestrel/YARP path, which accepts or rejects it by the book; a response the fast path
    /// cannot forward is a 502 for the client.
    /// </summary>
    Unsupported,
}
