using System.Globalization;
using System.Text;

namespace Weft.Proxy.Tests.Http1.Fuzzing;

/// <summary>
/// A plain, slow restatement of the fast path's grammars for the fuzz tests to compare with: the request head as the
/// relay reads it (RequestHead behind RelayExchange: the strict RFC 9112 subset it forwards itself, everything else
/// Unsupported, which hands the request to Kestrel's 400/414/431), and a chunked body (RFC 9112 7.1) as ChunkedScanner
/// follows it. Written over strings, line by line, the way the rules read, not the way the parser is built.
/// </summary>
internal static class Http1Reference
{
    public const int MaxHead = 16 * 1024;
    public const int MaxBody = 12 * 1024;
    private const long MaxChunk = 1L << 40;
    private const string Tchar = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    private static readonly HashSet<string> Refused = new(StringComparer.OrdinalIgnoreCase)
    {
        "te", "expect", "upgrade", "trailer", "keep-alive", "proxy-connection", "transfer-encoding",
    };

    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Transfer-Encoding", "Keep-Alive", "Upgrade", "Proxy-Connection", "Proxy-Authenticate",
        "Proxy-Authentication-Info", "Proxy-Authorization", "Proxy-Features", "Proxy-Instruction", "Security-Scheme",
        "ALPN", "Close", "HTTP2-Settings", "Upgrade-Insecure-Requests", "TE", "Alt-Svc",
    };

    /// <summary>What the relay makes of <paramref name="input"/> (the bytes received so far), as one comparable line.</summary>
    public static string Request(byte[] input, bool absoluteForm)
    {
        var text = Encoding.Latin1.GetString(input);
        var visible = text.Length > MaxHead ? text[..MaxHead] : text;
        var end = visible.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (end < 0)
        {
            var bareLf = visible.Replace("\r\n", "", StringComparison.Ordinal).Contains('\n', StringComparison.Ordinal);
            return bareLf || text.Length >= MaxHead ? "Unsupported" : "NeedMore";
        }

        var lines = visible[..end].Split("\r\n");
        var requestLine = lines[0].Split(' ');
        if (requestLine.Length != 3 || !IsToken(requestLine[0]) || requestLine[1].Length == 0
            || requestLine[1].Any(c => c is < '!' or > '~') || requestLine[2] != "HTTP/1.1")
        {
            return "Unsupported";
        }

        var method = requestLine[0];
        var target = requestLine[1];
        var targetStart = method.Length + 1;
        string form;
        int pathStart;
        string path;
        if (target[0] == '/')
        {
            form = "origin";
            (pathStart, path) = (targetStart, target);
        }
        else if (absoluteForm && target.Length > 7 && target.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            var rest = target[7..];
            var pathAt = rest.IndexOfAny(['/', '?']);
            if (pathAt == 0 || rest.Contains('@', StringComparison.Ordinal) || rest.Contains('#', StringComparison.Ordinal) || (pathAt > 0 && rest[pathAt] == '?'))
            {
                return "Unsupported";
            }

            var authority = pathAt < 0 ? rest : rest[..pathAt];
            form = $"absolute {targetStart + 7} {authority}";
            (pathStart, path) = (targetStart + 7 + authority.Length, rest[authority.Length..]);
        }
        else
        {
            return "Unsupported";
        }

        if (lines.Length - 1 > 100)
        {
            return "Unsupported";
        }

        var fields = new StringBuilder();
        var hosts = new List<int>();
        var lengths = new List<long>();
        var ports = new List<int>();
        var close = false;
        var claims = false;
        var position = lines[0].Length + 2;
        for (var i = 1; i < lines.Length; i++)
        {
            var line = lines[i];
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (line.Contains('\n', StringComparison.Ordinal) || colon <= 0 || !IsToken(line[..colon]))
            {
                return "Unsupported";
            }

            var name = line[..colon];
            var value = line[(colon + 1)..].Trim(' ', '\t');
            if (value.Any(c => (c < ' ' && c != '\t') || c >= '\u007f'))
            {
                return "Unsupported"; // a control character, DEL, or anything not ASCII
            }

            bool drop;
            if (Refused.Contains(name))
            {
                return "Unsupported";
            }
            else if (name.Equals("host", StringComparison.OrdinalIgnoreCase))
            {
                hosts.Add(i - 1);
                drop = false;
            }
            else if (name.Equals("content-length", StringComparison.OrdinalIgnoreCase))
            {
                if (lengths.Count > 0 || !TryDigits(value, out var length))
                {
                    return "Unsupported";
                }

                lengths.Add(length);
                drop = false;
            }
            else if (name.Equals("connection", StringComparison.OrdinalIgnoreCase))
            {
                foreach (var option in value.Split(',').Select(o => o.Trim(' ', '\t')).Where(o => o.Length > 0))
                {
                    if (option.Equals("close", StringComparison.OrdinalIgnoreCase))
                    {
                        close = true;
                    }
                    else if (!option.Equals("keep-alive", StringComparison.OrdinalIgnoreCase))
                    {
                        return "Unsupported";
                    }
                }

                drop = true;
            }
            else if (name.Equals("weft-dst-port", StringComparison.OrdinalIgnoreCase))
            {
                if (ports.Count > 0 || !TryDigits(value, out var port) || port is < 1 or > 65535)
                {
                    return "Unsupported";
                }

                ports.Add((int)port);
                drop = true;
            }
            else
            {
                claims |= name.Equals("x-forwarded-client-cert", StringComparison.OrdinalIgnoreCase);
                drop = HopByHop.Contains(name);
            }

            fields.Append(CultureInfo.InvariantCulture, $"[{position}+{line.Length}{(drop ? " drop" : "")}]");
            position += line.Length + 2;
        }

        if (hosts.Count != 1)
        {
            return "Unsupported";
        }

        var contentLength = lengths.Count == 0 ? 0 : lengths[0];
        var headLength = end + 4;
        if (contentLength > MaxBody)
        {
            return "Unsupported";
        }

        if (contentLength > 0 && text.Length - headLength < contentLength)
        {
            return "NeedMore";
        }

        return Describe(headLength, lines[0].Length, method.Length, method == "HEAD", form, pathStart, path.Length,
            fields.ToString(), hosts[0], contentLength, close, ports.Count == 0 ? 0 : ports[0], claims);
    }

    /// <summary>A Ready head's description, in the one format both sides are written in.</summary>
    public static string Describe(
        int length, int requestLineLength, int methodLength, bool isHead, string form, int pathStart, int pathLength,
        string fields, int hostIndex, long contentLength, bool close, int destinationPort, bool claimsIdentity) =>
        string.Create(CultureInfo.InvariantCulture,
            $"Ready length={length} line={requestLineLength} method={methodLength} head={isHead} {form} path={pathStart}+{pathLength} fields={fields} host={hostIndex} content={contentLength} close={close} port={destinationPort} claims={claimsIdentity}");

    /// <summary>How a chunked body in <paramref name="input"/> ends: "Done n" (its length), "Malformed", or "NeedMore".</summary>
    public static string Chunked(byte[] input)
    {
        var i = 0;
        var n = input.Length;
        while (true)
        {
            long size = 0;
            var digits = 0;
            while (i < n && HexValue(input[i]) is var digit and >= 0)
            {
                size = (size * 16) + digit;
                digits++;
                i++;
                if (size > MaxChunk)
                {
                    return "Malformed";
                }
            }

            if (i == n)
            {
                return "NeedMore";
            }

            if (digits == 0)
            {
                return "Malformed";
            }

            if (input[i] is (byte)';' or (byte)' ' or (byte)'\t')
            {
                // Extensions (and whitespace before them) are passed over as they are, to the line's CR.
                while (i < n && input[i] != '\r')
                {
                    if (input[i] == '\n')
                    {
                        return "Malformed";
                    }

                    i++;
                }

                if (i == n)
                {
                    return "NeedMore";
                }
            }

            if (Expect(input, ref i, "\r\n") is { } sizeLine)
            {
                return sizeLine;
            }

            if (size == 0)
            {
                break;
            }

            if (n - i < size)
            {
                return "NeedMore";
            }

            i += (int)size;
            if (Expect(input, ref i, "\r\n") is { } dataEnd)
            {
                return dataEnd;
            }
        }

        while (true)
        {
            if (i == n)
            {
                return "NeedMore";
            }

            if (input[i] == '\r')
            {
                return Expect(input, ref i, "\r\n") ?? string.Create(CultureInfo.InvariantCulture, $"Done {i}");
            }

            if (input[i] == '\n')
            {
                return "Malformed";
            }

            while (i < n && input[i] != '\r')
            {
                if (input[i] == '\n')
                {
                    return "Malformed";
                }

                i++;
            }

            if (Expect(input, ref i, "\r\n") is { } trailerEnd)
            {
                return trailerEnd;
            }
        }
    }

    /// <summary>Null when <paramref name="expected"/> is next (and passed); "NeedMore" if the input ends first, else "Malformed".</summary>
    private static string? Expect(byte[] input, ref int i, string expected)
    {
        foreach (var c in expected)
        {
            if (i == input.Length)
            {
                return "NeedMore";
            }

            if (input[i++] != c)
            {
                return "Malformed";
            }
        }

        return null;
    }

    private static bool IsToken(string s) => s.Length > 0 && s.All(c => Tchar.Contains(c, StringComparison.Ordinal));

    private static bool TryDigits(string s, out long value)
    {
        value = 0;
        return s.Length is >= 1 and <= 18 && s.All(char.IsAsciiDigit) && long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    private static int HexValue(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => -1,
    };
}
