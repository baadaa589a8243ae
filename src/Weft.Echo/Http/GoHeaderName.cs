namespace Weft.Echo.Http;

/// <summary>
/// Go's textproto.CanonicalMIMEHeaderKey: the form in which the upstream echo app (a Go server) reports
/// request header names, e.g. "x-header-set" → "X-Header-Set". Names holding a character that is not a
/// token character are returned unchanged, as Go does.
/// </summary>
internal static class GoHeaderName
{
    public static string Canonical(string name)
    {
        foreach (var c in name)
        {
            if (!IsTokenChar(c))
            {
                return name;
            }
        }

        return string.Create(name.Length, name, static (span, source) =>
        {
            var upper = true;
            for (var i = 0; i < source.Length; i++)
            {
                var c = source[i];
                span[i] = upper ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c);
                upper = c == '-';
            }
        });
    }

    private static bool IsTokenChar(char c) =>
        c < 127 && (char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal));
}
