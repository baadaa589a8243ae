using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using Weft.Routing;
using Weft.Routing.Authorization;

namespace Weft.Cli.Commands;

/// <summary>
/// <c>--default-inbound-policy</c>, as <c>weft up</c>, <c>weft controller</c>, <c>weft explain</c> and <c>weft authz</c>
/// take it: one of <see cref="DefaultInboundPolicies.All"/> (any spelling <see cref="DefaultInboundPolicies.Parse"/> reads),
/// all-unauthenticated when not given (<c>weft explain</c>: a running mesh's, <see cref="Local.MeshState.DefaultInboundPolicy"/>).
/// </summary>
internal static class DefaultInboundOption
{
    public const string Name = "--default-inbound-policy";

    private static readonly MeshDefaultOption Option = new(Name, DefaultInboundPolicies.All, DefaultInboundPolicies.Parse, DefaultInboundPolicies.AllUnauthenticated);

    private const string Description = "Who may call workloads when no ALLOW AuthorizationPolicy targets them and neither they nor their namespace set " + DefaultInboundPolicies.Key;

    public static Option<string> Create() => Option.Create(Description);

    /// <summary>The option with no value when not given (<paramref name="whenNotGiven"/> says what is taken then).</summary>
    public static Option<string> CreateWithoutDefault(string whenNotGiven) => Option.Create(Description, whenNotGiven);

    /// <summary>The value in its canonical spelling; null, with the usage error written, when it is not one.</summary>
    public static string? Parse(string? value, TextWriter stderr) => Option.Parse(value, stderr);
}

/// <summary>
/// <c>--default-outbound-policy</c>, as <c>weft up</c>, <c>weft controller</c>, <c>weft control-plane</c> and <c>weft
/// explain</c> take it: one of <see cref="OutboundPolicies.All"/>, allow-any when not given (<c>weft explain</c>: a running
/// mesh's, <see cref="Local.MeshState.DefaultOutboundPolicy"/>).
/// </summary>
internal static class DefaultOutboundOption
{
    public const string Name = "--default-outbound-policy";

    private static readonly MeshDefaultOption Option = new(Name, OutboundPolicies.All, OutboundPolicies.Parse, OutboundPolicies.AllowAny);

    private const string Description = "Where workloads may send traffic that is not for a Service of the mesh, when neither they nor their namespace set " + OutboundPolicies.Key;

    public static Option<string> Create() => Option.Create(Description);

    /// <summary>The option with no value when not given (<paramref name="whenNotGiven"/> says what is taken then).</summary>
    public static Option<string> CreateWithoutDefault(string whenNotGiven) => Option.Create(Description, whenNotGiven);

    /// <summary>The value in its canonical spelling; null, with the usage error written, when it is not one.</summary>
    public static string? Parse(string? value, TextWriter stderr) => Option.Parse(value, stderr);
}

/// <summary>
/// <c>--mtls-default</c>, as <c>weft up</c> and <c>weft explain</c> take it: the mTLS mode (<see cref="MeshLevels.AllMtls"/>)
/// of workloads whose pod and namespace do not set <see cref="MeshLevels.MtlsKey"/>; strict when not given. <c>weft
/// explain</c> takes a running mesh's own (<see cref="Local.MeshState.MtlsDefault"/>) when not given.
/// </summary>
internal static class DefaultMtlsOption
{
    public const string Name = "--mtls-default";

    private static readonly MeshDefaultOption Option = new(Name, MeshLevels.AllMtls, MeshLevels.ParseMtls, MeshLevels.MtlsStrict);

    private const string Description = "The mTLS mode of workloads when neither they nor their namespace set " + MeshLevels.MtlsKey;

    public static Option<string> Create() => Option.Create(Description);

    /// <summary>The option with no value when not given (<paramref name="whenNotGiven"/> says what is taken then).</summary>
    public static Option<string> CreateWithoutDefault(string whenNotGiven) => Option.Create(Description, whenNotGiven);

    /// <summary>The value in its canonical spelling; null, with the usage error written, when it is not one.</summary>
    public static string? Parse(string? value, TextWriter stderr) => Option.Parse(value, stderr);
}

/// <summary>A mesh-wide default that pods and namespaces may override: one of a fixed set of values, any spelling.</summary>
internal sealed record MeshDefaultOption(string Name, IReadOnlyList<string> All, Func<string?, string?> Canonical, string Default)
{
    /// <param name="description">What the option sets.</param>
    /// <param name="whenNotGiven">Null: the option's value is <see cref="Default"/> when not given; else it has none, and this says what is taken.</param>
    public Option<string> Create(string description, string? whenNotGiven = null)
    {
        var option = new Option<string>(Name)
        {
            Description = $"{description}: {string.Join(", ", All)}" + (whenNotGiven is null ? "" : $" (default: {whenNotGiven})"),
        };
        if (whenNotGiven is null)
        {
            option.DefaultValueFactory = _ => Default;
        }

        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is { } value && Canonical(value) is null)
            {
                result.AddError(Problem(value));
            }
        });
        return option;
    }

    public string? Parse(string? value, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(stderr);
        if (Canonical(value) is { } canonical)
        {
            return canonical;
        }

        stderr.WriteLine($"error: {Problem(value)}");
        return null;
    }

    private string Problem(string? value) => $"{Name} '{value}' is not one of {string.Join(", ", All)}";
}

/// <summary>
/// A bad value of a mesh-default option (<c>--default-inbound-policy</c>, <c>--default-outbound-policy</c>,
/// <c>--mtls-default</c>, in every command that takes one) is a usage error as the commands report their own: one line on
/// stderr, <c>error: --mtls-default 'x' is not one of strict, permissive</c>, and exit 2. System.CommandLine's own parse
/// error handling would print the whole help after it and exit 1. Any other parse error keeps that handling.
/// </summary>
internal static class MeshDefaultUsage
{
    private static readonly string[] Names = [DefaultInboundOption.Name, DefaultOutboundOption.Name, DefaultMtlsOption.Name];

    /// <summary>
    /// Runs <paramref name="parse"/> as <see cref="ParseResult.InvokeAsync"/> does, but when its only errors are about the
    /// mesh-default options, writes them to <paramref name="configuration"/>'s Error (through <see cref="TerminalText"/>),
    /// one line each, and returns 2 without running anything.
    /// </summary>
    public static Task<int> InvokeAsync(ParseResult parse, InvocationConfiguration configuration, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(configuration);
        if (parse.Action is not ParseErrorAction || parse.Errors.Count == 0 || !parse.Errors.All(IsMeshDefault))
        {
            return parse.InvokeAsync(configuration, ct);
        }

        var stderr = TerminalText.Writer(configuration.Error);
        foreach (var error in parse.Errors.Select(e => e.Message).Distinct(StringComparer.Ordinal))
        {
            stderr.WriteLine($"error: {error}");
        }

        stderr.Flush();
        return Task.FromResult(2);
    }

    private static bool IsMeshDefault(ParseError error) =>
        (error.SymbolResult as OptionResult ?? error.SymbolResult?.Parent as OptionResult) is { } option && Names.Contains(option.Option.Name, StringComparer.Ordinal);
}
