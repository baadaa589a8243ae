namespace Weft.Api;

/// <summary>What a failure says to a person reading a log line or an error: the CLI's, the controller's and the sidecar's.</summary>
public static class ExceptionText
{
    /// <summary>
    /// The message and those of the exceptions inside it, for a failure whose own message only points at them ("The SSL
    /// connection could not be established, see inner exception.", "Authentication failed, see inner exception."): what
    /// the TLS handshake or the socket said, e.g. "Authentication failed: SSL Handshake failed with OpenSSL error -
    /// SSL_ERROR_SSL.: error:0A00010B:SSL routines::wrong version number". A message already holding an inner one's is
    /// not repeated.
    /// </summary>
    public static string WithInner(Exception e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var text = e.Message;
        for (var inner = e.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (!text.Contains(inner.Message, StringComparison.Ordinal))
            {
                text = $"{text.Replace(", see inner exception.", "", StringComparison.Ordinal).TrimEnd('.')}: {inner.Message}";
            }
        }

        return text;
    }
}
