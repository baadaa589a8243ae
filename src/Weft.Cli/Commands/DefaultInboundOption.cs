using System.CommandLine;
using Weft.Routing.Authorization;

namespace Weft.Cli.Commands;

/// <summary>
/// <c>--default-inbound-policy</c>, as <c>weft up</c>, <c>weft controller</c>, <c>weft explain</c> and <c>weft authz</c>
/// take it: one of <see cref="DefaultInboundPolicies.All"/> (any spelling <see cref="DefaultInboundPolicies.Parse"/> reads),
/// all-unauthenticated when not given.
/// </summary>
internal static class DefaultInboundOption
{
    public static Option<string> Create()
    {
        var option = new Option<string>("--default-inbound-policy")
        {
            Description = "Who may call workloads when no ALLOW AuthorizationPolicy targets them and neither they nor their namespace set "
                + $"{DefaultInboundPolicies.Key}: {string.Join(", ", DefaultInboundPolicies.All)}",
            DefaultValueFactory = _ => DefaultInboundPolicies.AllUnauthenticated,
        };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is var value && DefaultInboundPolicies.Parse(value) is null)
            {
                result.AddError(Problem(value));
            }
        });
        return option;
    }

    /// <summary>The value in its canonical spelling; null, with the usage error written, when it is not one.</summary>
    public static string? Parse(string? value, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(stderr);
        if (DefaultInboundPolicies.Parse(value) is { } canonical)
        {
            return canonical;
        }

        stderr.WriteLine($"error: {Problem(value)}");
        return null;
    }

    private static string Problem(string? value) => $"--default-inbound-policy '{value}' is not one of {string.Join(", ", DefaultInboundPolicies.All)}";
}
