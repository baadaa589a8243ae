using Weft.Cli.Conformance;
using Weft.Routing;

namespace Weft.Conformance.Tests;

/// <summary>
/// gamma-spec (c): a test runs when every feature it needs is supported. Weft's one claim (<see cref="MeshFeatures"/>)
/// decides for both runners, so no shared case is skipped for a feature Weft claims, and every case whose features are
/// all claimed runs and passes (here through the offline runner; <see cref="MeshConformanceTests"/> runs them live).
/// </summary>
public sealed class FeatureClaimTests
{
    private static readonly IReadOnlyList<ConformanceTest> Tests = CaseFileParser.ParseDirectory(SharedFiles.ConformanceCases);

    [Fact]
    public void Every_feature_a_case_needs_is_claimed_or_said_why_not()
    {
        var unexplained = Tests.SelectMany(t => t.Features)
            .Where(f => !MeshFeatures.Supported.Contains(f) && !MeshFeatures.NotClaimed.ContainsKey(f))
            .Distinct(StringComparer.Ordinal)
            .ToList();

        Assert.Empty(unexplained);
    }

    [Fact]
    public void No_feature_is_both_claimed_and_not_claimed()
    {
        Assert.DoesNotContain(MeshFeatures.Supported, MeshFeatures.NotClaimed.ContainsKey);
        Assert.All(MeshFeatures.NotClaimed, n => Assert.False(string.IsNullOrWhiteSpace(n.Value), $"{n.Key} has no reason"));
    }

    [Fact]
    public void The_claim_fits_XMesh_status_supportedFeatures_which_holds_at_most_64_names()
    {
        // gamma-spec (M): XMesh status.supportedFeatures has at most 64 entries.
        Assert.InRange(MeshFeatures.Supported.Count, 1, 64);
    }

    [Fact]
    public void No_case_is_skipped_for_a_feature_Weft_claims()
    {
        foreach (var test in Tests)
        {
            var unclaimed = test.Features.Where(f => !MeshFeatures.Supported.Contains(f)).ToList();
            var reason = ConformanceProfiles.SkipReason(test);
            if (unclaimed.Count == 0)
            {
                Assert.True(reason is null, $"{test.Name} needs only claimed features but would be skipped: {reason}");
            }
            else
            {
                Assert.Equal($"needs features Weft does not claim: {string.Join(", ", unclaimed)}", reason);
            }
        }
    }

    [Fact]
    public void Every_case_whose_features_are_all_claimed_runs_and_passes_offline()
    {
        var claimed = Tests.Where(t => t.Features.All(MeshFeatures.Supported.Contains)).ToList();

        var run = new ConformanceRun([.. claimed.Select(t => OfflineConformance.Run(t))]);

        Assert.Equal(Tests.Sum(t => t.Cases.Count), run.Cases.Count()); // today every shared case needs only claimed features
        var notPassed = run.Cases.Where(c => c.Outcome != Outcome.Passed).Select(c => $"{c.Test}/{c.Case}: {c.Outcome} {c.Detail}").ToList();
        Assert.True(notPassed.Count == 0, string.Join('\n', notPassed));
    }

    [Fact]
    public async Task A_test_needing_a_feature_Weft_does_not_claim_is_skipped_by_both_runners_and_says_which()
    {
        var directory = Directory.CreateTempSubdirectory("weft-claim-").FullName;
        try
        {
            var source = Tests.Single(t => t.Name == "MeshBasic");
            var file = Path.Combine(directory, "gateway-only.yaml");
            await File.WriteAllTextAsync(file, $"""
                name: GatewayOnly
                features: [Mesh, HTTPRouteDestinationPortMatching]
                base: {source.Base}
                manifests: []
                cases:
                  - name: any
                    from: gateway-conformance-mesh/echo-v1
                    request: {"{"}url: http://echo/{"}"}
                    expect: {"{"}status: 200{"}"}
                """);
            var test = CaseFileParser.ParseFile(file);
            const string Reason = "needs features Weft does not claim: HTTPRouteDestinationPortMatching";

            var offline = OfflineConformance.Run(test);
            // The live runner starts no mesh for a group whose tests are all skipped.
            var live = await new ConformanceRunner(new ConformanceRunnerOptions { CasesDirectory = directory, WorkDirectory = directory }).RunAsync(CancellationToken.None);

            Assert.Equal((Outcome.Skipped, Reason), (offline.Outcome, offline.Cases.Single().Detail));
            Assert.Equal((Outcome.Skipped, Reason), (live.Tests.Single().Outcome, live.Cases.Single().Detail));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
