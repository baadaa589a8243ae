using System.Text;

namespace Weft.Routing.Authorization;

/// <summary>
/// The path an authorization rule matches: the request's path in the form apps are most likely to act on, so that a
/// spelling the app treats as the same path cannot slip past a DENY (as Istio normalises paths before its authorization
/// policies). An encoded slash (<c>%2F</c>) or backslash (<c>%5C</c>, <c>\</c>) is a slash, runs of slashes are one, and
/// dot segments are removed (RFC 3986 section 5.2.4) after that decoding. Case and other encodings are left as they are.
/// </summary>
internal static class AuthorizationPath
{
    /// <summary><paramref name="path"/> itself when it is already canonical (the common case: nothing allocated).</summary>
    public static string Canonical(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!NeedsWork(path))
        {
            return path;
        }

        // Decode the slashes, then split into segments: empty segments (runs of slashes) go, "." goes, ".." removes one.
        var decoded = new StringBuilder(path.Length);
        for (var i = 0; i < path.Length; i++)
        {
            var c = path[i];
            if (c == '%' && i + 2 < path.Length && (IsEncoded(path, i, '2', 'F') || IsEncoded(path, i, '5', 'C')))
            {
                decoded.Append('/');
                i += 2;
            }
            else
            {
                decoded.Append(c == '\\' ? '/' : c);
            }
        }

        var segments = new List<string>();
        var text = decoded.ToString();
        foreach (var segment in text.Split('/'))
        {
            switch (segment)
            {
                case "":
                case ".":
                    break;
                case "..":
                    if (segments.Count > 0)
                    {
                        segments.RemoveAt(segments.Count - 1);
                    }

                    break;
                default:
                    segments.Add(segment);
                    break;
            }
        }

        // A trailing slash (or a final dot segment) keeps the path a "directory", as the app would see it.
        var trailing = text.EndsWith('/') || text.EndsWith("/.", StringComparison.Ordinal) || text.EndsWith("/..", StringComparison.Ordinal);
        var canonical = "/" + string.Join('/', segments);
        return trailing && segments.Count > 0 ? canonical + "/" : canonical;
    }

    private static bool NeedsWork(string path) =>
        path.Contains('%', StringComparison.Ordinal)
        || path.Contains('\\', StringComparison.Ordinal)
        || path.Contains("//", StringComparison.Ordinal)
        || path.Contains("/.", StringComparison.Ordinal)
        || (path.Length > 0 && path[0] != '/');

    private static bool IsEncoded(string s, int at, char high, char low) =>
        s[at + 1] == high && char.ToUpperInvariant(s[at + 2]) == low;
}
