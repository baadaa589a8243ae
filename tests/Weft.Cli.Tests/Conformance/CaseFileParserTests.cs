using Weft.Cli.Conformance;

namespace Weft.Cli.Tests.Conformance;

/// <summary>The parser against every shared case file (read in place) and the totals INDEX.md states.</summary>
public sealed class CaseFileParserTests
{
    private static readonly IReadOnlyList<ConformanceTest> Tests = CaseFileParser.ParseDirectory(SharedFiles.ConformanceCases);

    public static TheoryData<string> CaseFiles()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(SharedFiles.ConformanceCases, "*.yaml").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CaseFiles))]
    public void Every_case_file_parses_and_its_paths_exist(string file)
    {
        var test = CaseFileParser.ParseFile(Path.Combine(SharedFiles.ConformanceCases, file));

        Assert.StartsWith("Mesh", test.Name, StringComparison.Ordinal);
        Assert.Contains("Mesh", test.Features);
        Assert.True(File.Exists(test.Base), test.Base);
        Assert.All(test.Manifests, m => Assert.True(File.Exists(m), m));
        Assert.NotEmpty(test.Cases);
        Assert.All(test.Cases, c => Assert.Contains('/', c.From));
    }

    [Fact]
    public void The_index_totals_hold_23_tests_and_87_cases()
    {
        Assert.Equal(23, Tests.Count);
        Assert.Equal(87, Tests.Sum(t => t.Cases.Count));
        Assert.Equal(4, Tests.Count(t => t.Provisional));
        Assert.Equal(2, Tests.Count(t => t.IsGrpc));
    }

    [Fact]
    public void All_tests_share_the_upstream_base()
    {
        Assert.Single(Tests.Select(t => t.Base).Distinct());
        Assert.EndsWith(Path.Combine("upstream", "mesh", "manifests.yaml"), Tests[0].Base, StringComparison.Ordinal);
    }

    [Fact]
    public void Targets_are_read()
    {
        var test = Tests.Single(t => t.Name == "MeshFrontendHostname");
        var first = test.Cases[0];

        Assert.Equal(new CaseTarget("ClusterIP", "echo-v2", 80), first.Request.Target);
        Assert.Equal([new KeyValuePair<string, string>("Host", "echo-v1")], first.Request.Headers);
        Assert.Equal("echo-v2", first.Expect.Backend);
        Assert.Equal([new KeyValuePair<string, string>("X-Header-Set", "set")], first.Expect.ResponseHeaders);

        var podIp = Tests.Single(t => t.Name == "MeshFrontend").Cases.Single(c => c.Request.Target is not null);
        Assert.Equal("PodIP", podIp.Request.Target!.Kind);
        Assert.Contains("{target}", podIp.Request.Url, StringComparison.Ordinal);
    }

    [Fact]
    public void Distribution_cases_are_read()
    {
        var weighted = Tests.Single(t => t.Name == "MeshHTTPRouteWeight").Cases.Single(c => c.Count > 1);

        Assert.Equal(500, weighted.Count);
        Assert.Equal(0.70, weighted.Expect.Distribution!["echo-v1"]);
        Assert.Equal(0.30, weighted.Expect.Distribution["echo-v2"]);
        Assert.Equal(0.05, weighted.Expect.Tolerance);
    }

    [Fact]
    public void Redirect_cases_expect_status_and_location()
    {
        var port = Tests.Single(t => t.Name == "MeshHTTPRouteRedirectPort").Cases.Single(c => c.Name == "port-and-status");

        Assert.Equal(["301"], port.Expect.Status);
        Assert.Equal("http://echo:8083/port-and-status", port.Expect.Location);
    }

    [Fact]
    public void Defaults_are_GET_status_200_and_one_request()
    {
        var basic = Tests.Single(t => t.Name == "MeshBasic").Cases.Single();

        Assert.Equal("GET", basic.Request.Method);
        Assert.Equal(["200"], basic.Expect.Status);
        Assert.Equal(1, basic.Count);
        Assert.Null(basic.Expect.Backend);
    }

    [Fact]
    public void Consumer_route_cases_send_from_the_consumer_namespace()
    {
        var consumer = Tests.Single(t => t.Name == "MeshConsumerRoute").Cases[0];

        Assert.Equal("gateway-conformance-mesh-consumer", consumer.FromNamespace);
        Assert.Equal("echo-v1", consumer.FromDeployment);
    }

    [Fact]
    public void A_file_with_a_bad_case_names_the_file_and_line()
    {
        var error = Assert.Throws<FormatException>(() => CaseFileParser.Parse("name: X\nbase: b.yaml\ncases:\n  - name: a\n    from: nope\n    request: {url: http://echo/}\n    expect: {status: 200}\n", "x.yaml"));

        Assert.StartsWith("x.yaml:4:", error.Message, StringComparison.Ordinal);
    }
}
