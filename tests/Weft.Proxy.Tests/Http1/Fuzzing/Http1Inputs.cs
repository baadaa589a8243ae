using System.Globalization;
using System.Text;

namespace Weft.Proxy.Tests.Http1.Fuzzing;

/// <summary>
/// Generated HTTP/1.1 inputs for the fuzz tests, each from its own seed (so any one replays alone): well-formed request
/// heads (origin- and absolute-form, Host, Content-Length bodies, Connection, weft-dst-port, hop-by-hop and ordinary
/// fields, optional whitespace) and chunked bodies (sizes in either case with leading zeros, extensions, trailers, bytes
/// of the next message after them), then zero to three mutations: byte flips, inserted and deleted bytes, CR/LF games
/// (bare LF, bare CR, doubled CR), obs-fold, huge fields, too many fields, bad or duplicate lengths, framing headers,
/// other versions, bad and overflowing chunk sizes, truncation.
/// </summary>
internal static class Http1Inputs
{
    private const string Tchar = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private const string PathChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~%!$&'()*+,;=:@/?";
    private static readonly string[] Methods = ["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "get", "M-SEARCH"];
    private static readonly string[] Names =
    [
        "Accept", "User-Agent", "X-Request-Id", "Cookie", "Authorization", "Proxy-Authorization", "Close", "Alt-Svc",
        "Upgrade-Insecure-Requests", "Content-Type", "traceparent", "X-Forwarded-Client-Cert", "Via",
    ];

    private static readonly byte[] Specials = "\r\n \t:;,\0\u007f\u0080\u00ff\"=/?#@"u8.ToArray();

    /// <summary>The seed of input <paramref name="index"/> of run <paramref name="seed"/>.</summary>
    /// <remarks>
    /// A fixed mix (SplitMix64's finaliser), not <see cref="HashCode.Combine{T1, T2}"/>: that one is seeded at random in
    /// each process, so a run's inputs could not be replayed (and each run fuzzed different ones).
    /// </remarks>
    public static int SeedOf(int seed, long index)
    {
        var z = ((ulong)(uint)seed << 32 ^ (ulong)index) + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (int)(z ^ (z >> 31));
    }

    /// <summary>A request head (and body when it has a length), mutated or not; <paramref name="mutated"/> says which.</summary>
    /// <param name="random">The input's generator.</param>
    /// <param name="mutated">Whether the valid request was mutated.</param>
    /// <param name="destinationPort">The app port every request names in <c>weft-dst-port</c> (before any mutation); none: random ones or none.</param>
    public static byte[] Request(Random random, out bool mutated, int? destinationPort = null)
    {
        var head = ValidRequest(random, destinationPort);
        mutated = random.Next(3) != 0;
        if (!mutated)
        {
            return head;
        }

        var bytes = new List<byte>(head);
        for (var n = random.Next(1, 4); n > 0; n--)
        {
            MutateRequest(random, bytes);
        }

        return [.. bytes];
    }

    /// <summary>A chunked body followed by a few bytes of what would come next, mutated or not.</summary>
    public static byte[] Chunked(Random random, out bool mutated)
    {
        var body = ValidChunked(random);
        mutated = random.Next(3) != 0;
        if (!mutated)
        {
            return body;
        }

        var bytes = new List<byte>(body);
        for (var n = random.Next(1, 4); n > 0; n--)
        {
            MutateChunked(random, bytes);
        }

        return [.. bytes];
    }

    /// <summary>Bytes as a C# string literal, for a failure message.</summary>
    public static string Show(byte[] input)
    {
        var text = new StringBuilder("\"");
        foreach (var b in input.Take(600))
        {
            text.Append(b switch
            {
                (byte)'\r' => "\\r",
                (byte)'\n' => "\\n",
                (byte)'\t' => "\\t",
                (byte)'"' => "\\\"",
                (byte)'\\' => "\\\\",
                >= 0x20 and < 0x7f => ((char)b).ToString(),
                _ => string.Create(CultureInfo.InvariantCulture, $"\\x{b:x2}"),
            });
        }

        return text.Append(input.Length > 600 ? "\"…" : "\"").ToString();
    }

    private static byte[] ValidRequest(Random random, int? destinationPort)
    {
        var text = new StringBuilder();
        var method = random.Next(4) == 0 ? Token(random, 1, 8) : Methods[random.Next(Methods.Length)];
        var host = random.Next(4) == 0 ? "10.0.0." + random.Next(256).ToString(CultureInfo.InvariantCulture) : "svc" + random.Next(10).ToString(CultureInfo.InvariantCulture);
        var authority = random.Next(2) == 0 ? host : host + ":" + random.Next(1, 65536).ToString(CultureInfo.InvariantCulture);
        var path = "/" + Chars(random, PathChars, 0, 40).Replace("#", "", StringComparison.Ordinal);
        var target = random.Next(3) == 0 ? (random.Next(2) == 0 ? "http://" : "HTTP://") + authority + (random.Next(4) == 0 ? "" : path.Replace("@", "", StringComparison.Ordinal)) : path;
        text.Append(CultureInfo.InvariantCulture, $"{method} {target} HTTP/1.1\r\n");

        var fields = new List<string> { $"Host:{Space(random)}{authority}{Space(random)}" };
        var bodyLength = random.Next(4) == 0 ? random.Next(0, 300) : -1;
        if (bodyLength >= 0)
        {
            fields.Add($"Content-Length:{Space(random)}{(random.Next(5) == 0 ? "00" : "")}{bodyLength.ToString(CultureInfo.InvariantCulture)}");
        }

        if (random.Next(3) == 0)
        {
            fields.Add("Connection: " + (random.Next(3) switch { 0 => "close", 1 => "keep-alive", _ => " Keep-Alive ,, close" }));
        }

        if (destinationPort is not null || random.Next(2) == 0)
        {
            fields.Add("weft-dst-port: " + (destinationPort ?? random.Next(1, 65536)).ToString(CultureInfo.InvariantCulture));
        }

        for (var n = random.Next(0, 12); n > 0; n--)
        {
            var name = random.Next(2) == 0 ? Names[random.Next(Names.Length)] : "X-" + Token(random, 1, 20);
            fields.Add($"{name}:{Space(random)}{Chars(random, " \t!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~", 0, 60).Trim(' ', '\t')}{Space(random)}");
        }

        Shuffle(random, fields);
        foreach (var field in fields)
        {
            text.Append(field).Append("\r\n");
        }

        text.Append("\r\n");
        if (bodyLength > 0)
        {
            text.Append(Chars(random, "abcdefghij\r\n\0", bodyLength, bodyLength));
        }

        if (random.Next(4) == 0)
        {
            text.Append("GET /next HTTP/1.1\r\n"); // the start of a pipelined request
        }

        return Encoding.Latin1.GetBytes(text.ToString());
    }

    private static void MutateRequest(Random random, List<byte> bytes)
    {
        var at = random.Next(bytes.Count + 1);
        var kind = random.Next(16);
        if (MutateBytes(random, bytes, at, kind))
        {
            return;
        }

        switch (kind)
        {
            case 5: // obs-fold: a field continued on the next line
                ReplaceOne(random, bytes, "\r\n", "\r\n" + (random.Next(2) == 0 ? " " : "\t") + "folded\r\n");
                break;
            case 6: // a huge field
                InsertLine(random, bytes, "X-Huge: " + new string('h', random.Next(1, 3) * 9000));
                break;
            case 7: // too many fields
                for (var n = 0; n < 101; n++)
                {
                    InsertLine(random, bytes, "X-Many: " + n.ToString(CultureInfo.InvariantCulture));
                }

                break;
            case 8:
                InsertLine(random, bytes, "Content-Length: " + random.Next(3) switch { 0 => "12a", 1 => "1234567890123456789", _ => "-1" });
                break;
            case 9:
                InsertLine(random, bytes, "Content-Length: " + random.Next(0, 20000).ToString(CultureInfo.InvariantCulture));
                break;
            case 10:
                InsertLine(random, bytes, random.Next(5) switch
                {
                    0 => "Transfer-Encoding: chunked",
                    1 => "Expect: 100-continue",
                    2 => "Upgrade: websocket",
                    3 => "Host: other",
                    _ => "weft-dst-port: " + random.Next(-5, 70000).ToString(CultureInfo.InvariantCulture),
                });
                break;
            case 11:
                ReplaceOne(random, bytes, "HTTP/1.1", random.Next(4) switch { 0 => "HTTP/1.0", 1 => "HTTP/2.0", 2 => "http/1.1", _ => "HTTP/1.1 " });
                break;
            case 12: // whitespace before a colon, or in the request line
                ReplaceOne(random, bytes, random.Next(2) == 0 ? ":" : " ", random.Next(2) == 0 ? " :" : "  ");
                break;
            case 13: // cut short
                bytes.RemoveRange(at, bytes.Count - at);
                break;
            case 14: // a second copy of a line
                DuplicateLine(random, bytes);
                break;
            default: // a long target
                ReplaceOne(random, bytes, " /", " /" + new string('p', random.Next(1, 3) * 9000));
                break;
        }
    }

    private static byte[] ValidChunked(Random random)
    {
        var text = new StringBuilder();
        for (var n = random.Next(0, 5); n > 0; n--)
        {
            var size = random.Next(1, 300);
            text.Append(Size(random, size));
            if (random.Next(3) == 0)
            {
                text.Append(random.Next(3) switch { 0 => ";name=value", 1 => " ;q=\"a b\"", _ => "\t;flag" });
            }

            text.Append("\r\n").Append(Chars(random, "abc\r\n\0 0123456789;", size, size)).Append("\r\n");
        }

        text.Append(random.Next(3) == 0 ? "000" : "0").Append(random.Next(4) == 0 ? ";last" : "").Append("\r\n");
        for (var n = random.Next(0, 3); n > 0; n--)
        {
            text.Append(Token(random, 1, 12)).Append(": ").Append(Chars(random, "abc 123", 0, 20)).Append("\r\n");
        }

        text.Append("\r\n");
        if (random.Next(2) == 0)
        {
            text.Append("HTTP/1.1 200 OK\r\n"); // the next message's first bytes
        }

        return Encoding.Latin1.GetBytes(text.ToString());
    }

    private static void MutateChunked(Random random, List<byte> bytes)
    {
        var at = random.Next(bytes.Count + 1);
        var kind = random.Next(10);
        if (MutateBytes(random, bytes, at, kind))
        {
            return;
        }

        switch (kind)
        {
            case 5: // an overflowing or huge size
                bytes.InsertRange(0, Encoding.Latin1.GetBytes(new string(random.Next(2) == 0 ? 'f' : 'F', random.Next(9, 20)) + "\r\n"));
                break;
            case 6: // a size that is not one
                bytes.InsertRange(0, Encoding.Latin1.GetBytes(random.Next(4) switch { 0 => "\r\n", 1 => "-1\r\n", 2 => "0x5\r\n", _ => " 5\r\n" }));
                break;
            case 7: // a chunk that says more or less than it carries
                bytes.InsertRange(0, Encoding.Latin1.GetBytes(random.Next(2) == 0 ? "5\r\nabc\r\n" : "2\r\nabcd\r\n"));
                break;
            case 8:
                bytes.RemoveRange(at, bytes.Count - at);
                break;
            default: // a bare LF in an extension or a trailer
                ReplaceOne(random, bytes, "\r\n", random.Next(2) == 0 ? ";ext\n\r\n" : "\r\nX-T: a\nb\r\n");
                break;
        }
    }

    /// <summary>
    /// The mutations both generators share, kinds 0 to 4: a random byte or a special one written over the byte at
    /// <paramref name="at"/>, a special one inserted there, that byte removed, or a CRLF made a bare LF, a bare CR or a
    /// doubled CR. False for any other kind (the caller's own).
    /// </summary>
    private static bool MutateBytes(Random random, List<byte> bytes, int at, int kind)
    {
        switch (kind)
        {
            case 0:
                if (at < bytes.Count)
                {
                    bytes[at] = (byte)random.Next(256);
                }

                break;
            case 1:
                if (at < bytes.Count)
                {
                    bytes[at] = Specials[random.Next(Specials.Length)];
                }

                break;
            case 2:
                bytes.Insert(at, Specials[random.Next(Specials.Length)]);
                break;
            case 3:
                if (at < bytes.Count)
                {
                    bytes.RemoveAt(at);
                }

                break;
            case 4:
                ReplaceOne(random, bytes, "\r\n", random.Next(3) switch { 0 => "\n", 1 => "\r", _ => "\r\r\n" });
                break;
            default:
                return false;
        }

        return true;
    }

    private static string Size(Random random, int size)
    {
        var hex = size.ToString(random.Next(2) == 0 ? "x" : "X", CultureInfo.InvariantCulture);
        return (random.Next(4) == 0 ? "00" : "") + hex;
    }

    private static void ReplaceOne(Random random, List<byte> bytes, string find, string with)
    {
        var text = Encoding.Latin1.GetString([.. bytes]);
        var positions = new List<int>();
        for (var i = text.IndexOf(find, StringComparison.Ordinal); i >= 0; i = text.IndexOf(find, i + 1, StringComparison.Ordinal))
        {
            positions.Add(i);
        }

        if (positions.Count == 0)
        {
            return;
        }

        var at = positions[random.Next(positions.Count)];
        bytes.RemoveRange(at, find.Length);
        bytes.InsertRange(at, Encoding.Latin1.GetBytes(with));
    }

    private static void InsertLine(Random random, List<byte> bytes, string line)
    {
        var text = Encoding.Latin1.GetString([.. bytes]);
        var first = text.IndexOf("\r\n", StringComparison.Ordinal);
        var at = first < 0 ? bytes.Count : first + 2;
        bytes.InsertRange(at, Encoding.Latin1.GetBytes(line + "\r\n"));
    }

    private static void DuplicateLine(Random random, List<byte> bytes)
    {
        var text = Encoding.Latin1.GetString([.. bytes]);
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var lines = (end < 0 ? text : text[..end]).Split("\r\n");
        if (lines.Length > 1)
        {
            InsertLine(random, bytes, lines[random.Next(1, lines.Length)]);
        }
    }

    private static string Token(Random random, int min, int max) => Chars(random, Tchar, min, max);

    private static string Chars(Random random, string alphabet, int min, int max)
    {
        var chars = new char[random.Next(min, max + 1)];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = alphabet[random.Next(alphabet.Length)];
        }

        return new string(chars);
    }

    private static string Space(Random random) => random.Next(4) switch { 0 => "", 1 => " ", 2 => "\t", _ => "  " };

    private static void Shuffle(Random random, List<string> items)
    {
        for (var i = items.Count - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
