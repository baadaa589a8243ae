using System.Text.RegularExpressions;

namespace Weft.Api.Validation;

/// <summary>The string patterns of the Gateway API CRDs (gamma-spec L) and of Kubernetes names, written as the CRDs write them.</summary>
internal static partial class Patterns
{
    private const string Subdomain = @"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
    private const string SubdomainHint = "use lowercase letters, digits, '-' and '.', starting and ending with a letter or digit";

    /// <summary>Gateway API Hostname: an optional leading "*." then an RFC 1123 subdomain.</summary>
    public static readonly Pattern Hostname = new(HostnameRegex(), @"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
        "use a lowercase DNS name such as foo.example.com; a wildcard may only be the first label (*.example.com)");

    /// <summary>PreciseHostname, SectionName, rule names, RFC 1123 subdomains.</summary>
    public static readonly Pattern PreciseHostname = new(SubdomainRegex(), Subdomain, SubdomainHint);

    public static readonly Pattern SectionName = new(SubdomainRegex(), Subdomain, SubdomainHint);

    /// <summary>Namespace: an RFC 1123 label.</summary>
    public static readonly Pattern Namespace = new(LabelRegex(), "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
        "use lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters");

    public static readonly Pattern Kind = new(KindRegex(), "^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$",
        "use a kind name such as Service: letters, digits and '-', starting with a letter");

    public static readonly Pattern Group = new(GroupRegex(), @"^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
        "use \"\" for core kinds such as Service, or a lowercase API group such as gateway.networking.k8s.io");

    public static readonly Pattern HeaderName = new(HeaderNameRegex(), @"^[A-Za-z0-9!#$%&'*+\-.^_\x60|~]+$",
        "use an HTTP header name: letters, digits and !#$%&'*+-.^_`|~, no spaces or ':'");

    public static readonly Pattern HeaderValue = new(HeaderValueRegex(), @"^[!-~]+([\t ]?[!-~]+)*$",
        "use visible ASCII characters, single spaces or tabs between them, and no leading or trailing whitespace");

    public static readonly Pattern PathValue = new(PathValueRegex(), @"^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$",
        "percent-encode other characters (e.g. a space as %20)");

    /// <summary>GEP-2257 Duration.</summary>
    public static readonly Pattern Duration = new(DurationRegex(), "^([0-9]{1,5}(h|m|s|ms)){1,4}$",
        "write a duration such as 10s, 500ms or 1h30m (units h, m, s, ms; no fractions or spaces)");

    public static readonly Pattern ControllerName = new(ControllerNameRegex(),
        @"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9\/\-._~%!$&'()*+,;=:]+$",
        "write a domain-prefixed path such as example.com/weft");

    public static readonly Pattern CorsOrigin = new(CorsOriginRegex(),
        @"(^\*$)|(^(http(s)?):\/\/(((\*\.)?([a-zA-Z0-9\-]+\.)*[a-zA-Z0-9-]+|\*)(:([0-9]{1,5}))?)$)",
        "write an origin such as https://example.com, https://*.example.com:8443, or *");

    /// <summary>A label value, and the name part of a label key (without the 63-character limit, checked apart).</summary>
    public static readonly Pattern LabelValue = new(LabelValueRegex(), "^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$",
        "use letters, digits, '-', '_' and '.', starting and ending with a letter or digit, at most 63 characters");

    /// <summary>A ServiceAccount name: an RFC 1123 subdomain.</summary>
    public static readonly Pattern ServiceAccountName = new(SubdomainRegex(), Subdomain, SubdomainHint + ", or \"*\" for every service account of the namespace");

    public static readonly Regex GrpcService = GrpcServiceRegex();
    public const string GrpcServiceText = @"^(?i)\.?[a-z_][a-z_0-9]*(\.[a-z_][a-z_0-9]*)*$";
    public static readonly Regex GrpcMethod = GrpcMethodRegex();
    public const string GrpcMethodText = "^[A-Za-z_][A-Za-z_0-9]*$";

    public static readonly Regex Rfc1123Subdomain = SubdomainRegex();
    public static readonly Regex Rfc1123Label = LabelRegex();
    public static readonly Regex Rfc1035Label = Rfc1035LabelRegex();

    [GeneratedRegex(@"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$", RegexOptions.CultureInvariant)]
    private static partial Regex HostnameRegex();

    [GeneratedRegex(Subdomain, RegexOptions.CultureInvariant)]
    private static partial Regex SubdomainRegex();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex LabelRegex();

    [GeneratedRegex("^[a-z]([-a-z0-9]*[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex Rfc1035LabelRegex();

    [GeneratedRegex("^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex KindRegex();

    [GeneratedRegex(@"^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$", RegexOptions.CultureInvariant)]
    private static partial Regex GroupRegex();

    [GeneratedRegex(@"^[A-Za-z0-9!#$%&'*+\-.^_\x60|~]+$", RegexOptions.CultureInvariant)]
    private static partial Regex HeaderNameRegex();

    [GeneratedRegex(@"^[!-~]+([\t ]?[!-~]+)*$", RegexOptions.CultureInvariant)]
    private static partial Regex HeaderValueRegex();

    [GeneratedRegex(@"^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$", RegexOptions.CultureInvariant)]
    private static partial Regex PathValueRegex();

    [GeneratedRegex("^([0-9]{1,5}(h|m|s|ms)){1,4}$", RegexOptions.CultureInvariant)]
    private static partial Regex DurationRegex();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9\/\-._~%!$&'()*+,;=:]+$", RegexOptions.CultureInvariant)]
    private static partial Regex ControllerNameRegex();

    [GeneratedRegex(@"(^\*$)|(^(http(s)?):\/\/(((\*\.)?([a-zA-Z0-9\-]+\.)*[a-zA-Z0-9-]+|\*)(:([0-9]{1,5}))?)$)", RegexOptions.CultureInvariant)]
    private static partial Regex CorsOriginRegex();

    [GeneratedRegex(@"^(?i)\.?[a-z_][a-z_0-9]*(\.[a-z_][a-z_0-9]*)*$", RegexOptions.CultureInvariant)]
    private static partial Regex GrpcServiceRegex();

    [GeneratedRegex("^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex LabelValueRegex();

    [GeneratedRegex("^[A-Za-z_][A-Za-z_0-9]*$", RegexOptions.CultureInvariant)]
    private static partial Regex GrpcMethodRegex();

    /// <summary>Parses a GEP-2257 Duration already matching <see cref="Duration"/>.</summary>
    public static TimeSpan ParseDuration(string value)
    {
        var total = TimeSpan.Zero;
        var i = 0;
        while (i < value.Length)
        {
            var start = i;
            while (i < value.Length && char.IsAsciiDigit(value[i]))
            {
                i++;
            }

            var n = long.Parse(value.AsSpan(start, i - start), System.Globalization.CultureInfo.InvariantCulture);
            if (value.AsSpan(i).StartsWith("ms", StringComparison.Ordinal))
            {
                total += TimeSpan.FromMilliseconds(n);
                i += 2;
                continue;
            }

            total += value[i] switch
            {
                'h' => TimeSpan.FromHours(n),
                'm' => TimeSpan.FromMinutes(n),
                _ => TimeSpan.FromSeconds(n),
            };
            i++;
        }

        return total;
    }
}
