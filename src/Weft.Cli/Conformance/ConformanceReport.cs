using System.Globalization;
using System.Text;

namespace Weft.Cli.Conformance;

/// <summary>
/// An upstream-format ConformanceReport (gateway.networking.k8s.io/v1, gamma-spec (d)) built from a run with upstream's
/// counting rules: tests that are not supported are not counted; skipped tests count as Skipped; a provisional test that
/// passed is counted and also listed in succeededProvisionalTests. Written as YAML with keys sorted, as upstream's
/// sigs.k8s.io/yaml output is.
/// </summary>
internal sealed record ConformanceReport
{
    public required DateTimeOffset Date { get; init; }
    public string GatewayApiVersion { get; init; } = "v1.6.1";
    public string GatewayApiChannel { get; init; } = "experimental";
    public string Mode { get; init; } = "default";
    public string Organization { get; init; } = "weft";
    public string Project { get; init; } = "weft";
    public string Url { get; init; } = "https://github.com/weft-mesh/weft";
    public required string Version { get; init; }
    public IReadOnlyList<string> Contact { get; init; } = ["@weft/maintainers"];
    public required IReadOnlyList<ProfileReport> Profiles { get; init; }
    public IReadOnlyList<string> SucceededProvisionalTests { get; init; } = [];

    /// <summary>Counts <paramref name="results"/> (name, features, provisional, outcome) into the profiles.</summary>
    public static ConformanceReport Build(
        IReadOnlyList<(string Name, IReadOnlyList<string> Features, bool Provisional, Outcome Outcome)> results,
        IReadOnlySet<string> supported,
        string version,
        DateTimeOffset date)
    {
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(supported);
        var counted = results.Where(r => ConformanceProfiles.IsSupported(r.Features, supported)).ToList();
        var profiles = new List<ProfileReport>();
        foreach (var profile in ConformanceProfiles.All.OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            var core = new List<(string Name, Outcome Outcome)>();
            var extended = new List<(string Name, Outcome Outcome)>();
            foreach (var result in counted)
            {
                switch (profile.CountsAsCore(result.Features))
                {
                    case true:
                        core.Add((result.Name, result.Outcome));
                        break;
                    case false:
                        extended.Add((result.Name, result.Outcome));
                        break;
                }
            }

            if (core.Count == 0 && extended.Count == 0)
            {
                continue;
            }

            profiles.Add(new ProfileReport
            {
                Name = profile.Name,
                Core = StatusOf(core),
                Extended = extended.Count == 0 ? null : StatusOf(extended) with
                {
                    SupportedFeatures = [.. profile.Extended.Where(supported.Contains).Order(StringComparer.Ordinal)],
                    UnsupportedFeatures = [.. profile.Extended.Where(f => !supported.Contains(f)).Order(StringComparer.Ordinal)],
                },
            });
        }

        return new ConformanceReport
        {
            Date = date,
            Version = version,
            Profiles = profiles,
            SucceededProvisionalTests = [.. counted.Where(r => r.Provisional && r.Outcome == Outcome.Passed).Select(r => r.Name).Order(StringComparer.Ordinal)],
        };
    }

    public static ConformanceReport Build(ConformanceRun run, IReadOnlySet<string> supported, string version, DateTimeOffset date)
    {
        ArgumentNullException.ThrowIfNull(run);
        return Build([.. run.Tests.Select(t => (t.Test.Name, t.Test.Features, t.Test.Provisional, t.Outcome))], supported, version, date);
    }

    public string ToYaml()
    {
        var y = new StringBuilder();
        y.Append("apiVersion: gateway.networking.k8s.io/v1\n");
        y.Append("date: \"").Append(Date.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)).Append("\"\n");
        y.Append("gatewayAPIChannel: ").Append(GatewayApiChannel).Append('\n');
        y.Append("gatewayAPIVersion: ").Append(GatewayApiVersion).Append('\n');
        y.Append("implementation:\n");
        y.Append("  contact:\n");
        foreach (var contact in Contact)
        {
            y.Append("  - ").Append(Quote(contact)).Append('\n');
        }

        y.Append("  organization: ").Append(Quote(Organization)).Append('\n');
        y.Append("  project: ").Append(Quote(Project)).Append('\n');
        y.Append("  url: ").Append(Quote(Url)).Append('\n');
        y.Append("  version: ").Append(Quote(Version)).Append('\n');
        y.Append("kind: ConformanceReport\n");
        y.Append("mode: ").Append(Mode).Append('\n');
        y.Append("profiles:\n");
        foreach (var profile in Profiles)
        {
            y.Append("- core:\n");
            AppendStatus(y, profile.Core, "    ");
            if (profile.Extended is { } extended)
            {
                y.Append("  extended:\n");
                AppendStatus(y, extended, "    ");
            }

            y.Append("  name: ").Append(profile.Name).Append('\n');
            y.Append("  summary: ").Append(profile.Summary).Append('\n');
        }

        if (SucceededProvisionalTests.Count > 0)
        {
            y.Append("succeededProvisionalTests:\n");
            foreach (var test in SucceededProvisionalTests)
            {
                y.Append("- ").Append(test).Append('\n');
            }
        }

        return y.ToString();
    }

    private static ProfileStatus StatusOf(List<(string Name, Outcome Outcome)> tests)
    {
        var failed = tests.Where(t => t.Outcome == Outcome.Failed).Select(t => t.Name).Order(StringComparer.Ordinal).ToList();
        var skipped = tests.Where(t => t.Outcome == Outcome.Skipped).Select(t => t.Name).Order(StringComparer.Ordinal).ToList();
        return new ProfileStatus
        {
            Result = failed.Count > 0 ? "failure" : skipped.Count > 0 ? "partial" : "success",
            Passed = tests.Count(t => t.Outcome == Outcome.Passed),
            Skipped = skipped.Count,
            Failed = failed.Count,
            SkippedTests = skipped,
            FailedTests = failed,
        };
    }

    private static void AppendStatus(StringBuilder y, ProfileStatus status, string indent)
    {
        AppendList(y, indent, "failedTests", status.FailedTests);
        y.Append(indent).Append("result: ").Append(status.Result).Append('\n');
        AppendList(y, indent, "skippedTests", status.SkippedTests);
        y.Append(indent).Append("statistics:\n");
        y.Append(indent).Append("  Failed: ").Append(status.Failed).Append('\n');
        y.Append(indent).Append("  Passed: ").Append(status.Passed).Append('\n');
        y.Append(indent).Append("  Skipped: ").Append(status.Skipped).Append('\n');
        AppendList(y, indent, "supportedFeatures", status.SupportedFeatures);
        AppendList(y, indent, "unsupportedFeatures", status.UnsupportedFeatures);
    }

    private static void AppendList(StringBuilder y, string indent, string key, IReadOnlyList<string> values)
    {
        if (values.Count == 0)
        {
            return;
        }

        y.Append(indent).Append(key).Append(":\n");
        foreach (var value in values)
        {
            y.Append(indent).Append("- ").Append(value).Append('\n');
        }
    }

    private static string Quote(string value) =>
        value.Length == 0 || value.IndexOfAny([':', '#', '@', '\'', '"', '[', ']', '{', '}', ',', '&', '*', '!', '|', '>', '%', '`']) >= 0
        || char.IsDigit(value[0]) || value is "true" or "false" or "null" or "yes" or "no"
            ? $"'{value.Replace("'", "''", StringComparison.Ordinal)}'"
            : value;
}

internal sealed record ProfileReport
{
    public required string Name { get; init; }
    public required ProfileStatus Core { get; init; }
    public ProfileStatus? Extended { get; init; }

    /// <summary>Upstream's summary line (reports.go buildSummary).</summary>
    public string Summary
    {
        get
        {
            var summary = $"Core tests {Describe(Core)}";
            return Extended is null ? summary : $"{summary} Extended tests {Describe(Extended)}";
        }
    }

    private static string Describe(ProfileStatus status) => status.Result switch
    {
        "success" => "succeeded.",
        "partial" => $"partially succeeded with {status.Skipped} test skips.",
        _ => $"failed with {status.Failed} test failures.",
    };
}

internal sealed record ProfileStatus
{
    /// <summary>success, partial (some skipped) or failure (some failed).</summary>
    public required string Result { get; init; }
    public int Passed { get; init; }
    public int Skipped { get; init; }
    public int Failed { get; init; }
    public IReadOnlyList<string> SkippedTests { get; init; } = [];
    public IReadOnlyList<string> FailedTests { get; init; } = [];
    public IReadOnlyList<string> SupportedFeatures { get; init; } = [];
    public IReadOnlyList<string> UnsupportedFeatures { get; init; } = [];
}
