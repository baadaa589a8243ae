using System.CommandLine;
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
    private static readonly MeshDefaultOption Option = new("--default-inbound-policy", DefaultInboundPolicies.All, DefaultInboundPolicies.Parse, DefaultInboundPolicies.AllUnauthenticated);

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
    private static readonly MeshDefaultOption Option = new("--default-outbound-policy", OutboundPolicies.All, OutboundPolicies.Parse, OutboundPolicies.AllowAny);

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
    private static readonly MeshDefaultOption Option = new("--mtls-default", MeshLevels.AllMtls, MeshLevels.ParseMtls, MeshLevels.MtlsStrict);

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
