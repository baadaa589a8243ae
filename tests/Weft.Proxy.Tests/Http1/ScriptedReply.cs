using System.Text;

namespace Weft.Proxy.Tests.Http1;

/// <summary>What a <see cref="ScriptedApp"/> writes back: the parts in order (each written and flushed on its own), then a close if asked.</summary>
public sealed record ScriptedReply(IReadOnlyList<byte[]> Parts, bool Close = false)
{
    /// <summary>When set, the last part waits for it (a test holds the end of a response back until it has seen the start).</summary>
    public Task? HoldLastPart { get; init; }

    /// <summary>The time between parts: a slow app streaming its response (the scenario itself, not synchronisation).</summary>
    public TimeSpan Pace { get; init; }

    public static ScriptedReply Text(string response, bool close = false) => new([Encoding.Latin1.GetBytes(response)], close);

    public static ScriptedReply InParts(bool close, params string[] parts) => new([.. parts.Select(Encoding.Latin1.GetBytes)], close);

    /// <summary>200 with a Content-Length body.</summary>
    public static ScriptedReply Ok(string body, bool close = false) =>
        Text($"HTTP/1.1 200 OK\r\nContent-Length: {Encoding.Latin1.GetByteCount(body)}\r\n\r\n{body}", close);
}
