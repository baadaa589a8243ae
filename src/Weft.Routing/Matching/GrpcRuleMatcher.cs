using System.Text.RegularExpressions;
using Weft.Api.Model;
using Weft.Routing.Policy;

namespace Weft.Routing.Matching;

/// <summary>One compiled GRPCRoute (rule, match) entry (gamma-spec K1): service and method, Exact or anchored regex, plus headers.</summary>
internal sealed class GrpcRuleMatcher
{
    public GrpcRuleMatcher(MatchPolicy match, int index)
    {
        var what = $"rule {index}";
        var type = match.GrpcType ?? HeaderMatchType.Exact;
        Service = string.IsNullOrEmpty(match.GrpcService) ? null : match.GrpcService;
        Method = string.IsNullOrEmpty(match.GrpcMethod) ? null : match.GrpcMethod;
        switch (type)
        {
            case HeaderMatchType.Exact:
                break;
            case HeaderMatchType.RegularExpression:
                ServiceRegex = Service is null ? null : ValueMatcher.CompileRegex(Service, $"{what} gRPC service");
                MethodRegex = Method is null ? null : ValueMatcher.CompileRegex(Method, $"{what} gRPC method");
                break;
            default:
                throw new RouteTableException($"{what}: gRPC method match type \"{type}\" is not supported (Exact, RegularExpression)");
        }

        Headers = ValueMatcher.Compile(match.Headers, StringComparer.OrdinalIgnoreCase, $"{what} header");
    }

    public string? Service { get; }
    public string? Method { get; }
    public Regex? ServiceRegex { get; }
    public Regex? MethodRegex { get; }
    public ValueMatcher[] Headers { get; }

    public bool IsMatch<THeaders>(ReadOnlySpan<char> service, ReadOnlySpan<char> method, in THeaders headers)
        where THeaders : IHeaderLookup, allows ref struct
    {
        if (Service is not null && !(ServiceRegex?.IsMatch(service) ?? service.SequenceEqual(Service)))
        {
            return false;
        }

        if (Method is not null && !(MethodRegex?.IsMatch(method) ?? method.SequenceEqual(Method)))
        {
            return false;
        }

        return ValueMatcher.HeadersMatch(Headers, headers);
    }
}
