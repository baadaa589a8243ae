using Weft.Cli.Conformance;

namespace Weft.Cli.Tests.Conformance;

/// <summary>Upstream's counting rules (INDEX.md, gamma-spec (c) and (d)) over the shared case files.</summary>
public sealed class ConformanceReportTests
{
    private static readonly IReadOnlyList<ConformanceTest> Tests = CaseFileParser.ParseDirectory(SharedFiles.ConformanceCases);
    private static readonly DateTimeOffset Date = new(2026, 5, 20, 23, 56, 32, TimeSpan.Zero);

    private static ConformanceReport ReportWith(Func<ConformanceTest, Outcome> outcome, IReadOnlySet<string>? supported = null) =>
        ConformanceReport.Build(
            [.. Tests.Select(t => (t.Name, t.Features, t.Provisional, outcome(t)))],
            supported ?? ConformanceProfiles.SupportedFeatures,
            "0.1.0",
            Date);

    [Fact]
    public void All_HTTP_tests_passing_and_gRPC_skipped_counts_as_upstream_does()
    {
        var report = ReportWith(t => t.IsGrpc ? Outcome.Skipped : Outcome.Passed);

        var http = report.Profiles.Single(p => p.Name == "MESH-HTTP");
        Assert.Equal(("success", 7, 0, 0), (http.Core.Result, http.Core.Passed, http.Core.Skipped, http.Core.Failed));
        Assert.Equal(("success", 7, 0, 0), (http.Extended!.Result, http.Extended.Passed, http.Extended.Skipped, http.Extended.Failed));
        Assert.Equal(ConformanceProfiles.MeshExtendedFeatures.Order(StringComparer.Ordinal), http.Extended.SupportedFeatures);
        Assert.Empty(http.Extended.UnsupportedFeatures);
        Assert.Equal("Core tests succeeded. Extended tests succeeded.", http.Summary);

        var grpc = report.Profiles.Single(p => p.Name == "MESH-GRPC");
        Assert.Equal(("partial", 1, 2, 0), (grpc.Core.Result, grpc.Core.Passed, grpc.Core.Skipped, grpc.Core.Failed));
        Assert.Equal(["MeshGRPCRouteRequestHeaderModifier", "MeshGRPCRouteWeight"], grpc.Core.SkippedTests);
        Assert.Null(grpc.Extended);
        Assert.Equal("Core tests partially succeeded with 2 test skips.", grpc.Summary);
    }

    [Fact]
    public void Passing_provisional_tests_are_listed()
    {
        var report = ReportWith(_ => Outcome.Passed);

        Assert.Equal(
            ["MeshHTTPRoute303Redirect", "MeshHTTPRoute307Redirect", "MeshHTTPRoute308Redirect", "MeshHTTPRouteNamedRule"],
            report.SucceededProvisionalTests);
    }

    [Fact]
    public void A_failure_makes_the_result_failure()
    {
        var report = ReportWith(t => t.Name == "MeshHTTPRouteMatching" ? Outcome.Failed : Outcome.Passed);
        var http = report.Profiles.Single(p => p.Name == "MESH-HTTP");

        Assert.Equal("failure", http.Core.Result);
        Assert.Equal(["MeshHTTPRouteMatching"], http.Core.FailedTests);
        Assert.Equal("Core tests failed with 1 test failures. Extended tests succeeded.", http.Summary);
    }

    [Fact]
    public void Tests_needing_unsupported_features_are_not_counted()
    {
        var supported = ConformanceProfiles.SupportedFeatures.Where(f => f != "MeshConsumerRoute").ToHashSet();
        var report = ReportWith(_ => Outcome.Passed, supported);
        var http = report.Profiles.Single(p => p.Name == "MESH-HTTP");

        // MeshConsumerRoute also needs HTTPRouteResponseHeaderModification, so it never counted in MESH-HTTP.
        Assert.Equal(7, http.Extended!.Passed);
        Assert.Equal(["MeshConsumerRoute"], http.Extended.UnsupportedFeatures);
    }

    [Fact]
    public void Tests_outside_every_profile_are_not_counted()
    {
        var report = ReportWith(_ => Outcome.Passed);

        Assert.Equal(7 + 7, report.Profiles.Single(p => p.Name == "MESH-HTTP") is var p ? p.Core.Passed + p.Extended!.Passed : 0);
        Assert.Equal(3, report.Profiles.Single(p => p.Name == "MESH-GRPC").Core.Passed);
    }

    [Fact]
    public void The_YAML_has_upstream_keys_sorted()
    {
        var yaml = ReportWith(t => t.IsGrpc ? Outcome.Skipped : Outcome.Passed).ToYaml();

        Assert.StartsWith("apiVersion: gateway.networking.k8s.io/v1\ndate: \"2026-05-20T23:56:32Z\"\ngatewayAPIChannel: experimental\ngatewayAPIVersion: v1.6.1\nimplementation:\n  contact:\n  - '@weft/maintainers'\n  organization: weft\n  project: weft\n  url: 'https://github.com/weft-mesh/weft'\n  version: '0.1.0'\nkind: ConformanceReport\nmode: default\nprofiles:\n", yaml, StringComparison.Ordinal);
        Assert.Contains("  name: MESH-HTTP\n  summary: Core tests succeeded. Extended tests succeeded.\n", yaml, StringComparison.Ordinal);
        Assert.Contains("    statistics:\n      Failed: 0\n      Passed: 7\n      Skipped: 0\n", yaml, StringComparison.Ordinal);
        Assert.EndsWith("succeededProvisionalTests:\n- MeshHTTPRoute303Redirect\n- MeshHTTPRoute307Redirect\n- MeshHTTPRoute308Redirect\n- MeshHTTPRouteNamedRule\n", yaml, StringComparison.Ordinal);
    }
}
