using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Weft.Cli.Commands;

namespace Weft.Cli.Local.Api;

/// <summary>
/// Where a Namespace that weft up uses as it is (it exists and is not weft up's) differs from DIR's in what the mesh reads
/// of it: its <c>weft.dev/*</c> labels and annotations (<c>weft.dev/mesh</c>, <c>weft.dev/mtls</c>, the default inbound and
/// outbound policies, tracing). The mesh follows the cluster's; one line per difference says so, and how to follow DIR.
/// Whoever may annotate the namespace chooses the values: the applier's writer escapes what it prints (<see cref="TerminalText.Writer"/>).
/// </summary>
internal static partial class NamespaceSettingsDrift
{
    private const string Prefix = "weft.dev/";

    [GeneratedRegex("^[A-Za-z0-9._/:-]*$")]
    private static partial Regex Plain();

    /// <summary>A warning per <c>weft.dev/*</c> label or annotation whose value differs (or that one side lacks); none when they agree.</summary>
    public static IReadOnlyList<string> Lines(JsonObject declared, JsonObject cluster, string directory)
    {
        ArgumentNullException.ThrowIfNull(declared);
        ArgumentNullException.ThrowIfNull(cluster);
        var name = declared["metadata"]?["name"]?.GetValue<string>() ?? "";
        var lines = new List<string>();
        foreach (var (field, noun, verb) in new[] { ("labels", "label", "label"), ("annotations", "annotation", "annotate") })
        {
            var ours = Settings(declared, field);
            var theirs = Settings(cluster, field);
            foreach (var key in ours.Keys.Union(theirs.Keys).Order(StringComparer.Ordinal))
            {
                var want = ours.GetValueOrDefault(key);
                var have = theirs.GetValueOrDefault(key);
                if (want == have)
                {
                    continue;
                }

                var (said, fix) = want is null
                    ? ($"{directory} does not set it", $"kubectl {verb} ns {name} {key}-")
                    : ($"{directory} says '{want}'", $"kubectl {verb} ns {name} {key}={Quoted(want)}{(have is null ? "" : " --overwrite")}");
                lines.Add($"warning: Namespace {name} is used as it is: its {noun} {key} is {(have is null ? "not set" : $"'{have}'")}, {said}: "
                    + $"the mesh follows the cluster's ({fix} to follow {directory})");
            }
        }

        return lines;
    }

    private static Dictionary<string, string> Settings(JsonObject obj, string field)
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in obj["metadata"]?[field] as JsonObject ?? [])
        {
            if (key.StartsWith(Prefix, StringComparison.Ordinal) && key != ManifestApplier.AppliedByLabel)
            {
                settings[key] = value is JsonValue v && v.TryGetValue<string>(out var text) ? text : value?.ToJsonString() ?? "";
            }
        }

        return settings;
    }

    private static string Quoted(string value) => Plain().IsMatch(value) ? value : $"'{value.Replace("'", "'\\''", StringComparison.Ordinal)}'";
}
