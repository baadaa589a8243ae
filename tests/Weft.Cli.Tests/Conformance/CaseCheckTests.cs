using System.Text;
using Weft.Cli.Client;
using Weft.Cli.Conformance;

namespace Weft.Cli.Tests.Conformance;

public sealed class CaseCheckTests
{
    private static MeshResponse Echo(int status = 200, string hostname = "echo-v1-0123456789-abcde", string url = "/", string[]? requestHeaders = null, params KeyValuePair<string, string>[] responseHeaders)
    {
        var body = new StringBuilder()
            .Append("ServiceVersion=v1\nServicePort=8080\nHost=echo\n")
            .Append("URL=").Append(url).Append('\n')
            .Append("Method=GET\nProto=HTTP/1.1\n");
        foreach (var header in requestHeaders ?? [])
        {
            body.Append("RequestHeader=").Append(header).Append('\n');
        }

        body.Append("Hostname=").Append(hostname).Append('\n');
        return new MeshResponse { StatusCode = status, Headers = responseHeaders, Body = Encoding.UTF8.GetBytes(body.ToString()) };
    }

    [Fact]
    public void The_status_must_be_one_of_the_expected()
    {
        Assert.Null(CaseCheck.Check(new CaseExpectation { Status = ["200", "404"] }, Echo(404)));
        Assert.StartsWith("expected status 200, got 503", CaseCheck.Check(new CaseExpectation(), Echo(503)), StringComparison.Ordinal);
    }

    [Fact]
    public void The_backend_is_a_pod_name_prefix()
    {
        Assert.Null(CaseCheck.Check(new CaseExpectation { Backend = "echo-v1" }, Echo()));
        Assert.Equal("expected backend echo-v2, got echo-v1-0123456789-abcde", CaseCheck.Check(new CaseExpectation { Backend = "echo-v2" }, Echo()));
    }

    [Fact]
    public void A_proxy_generated_response_has_no_backend()
    {
        var redirect = new MeshResponse { StatusCode = 302, Headers = [new("Location", "http://echo:8083/port")] };

        Assert.Null(CaseCheck.Check(new CaseExpectation { Status = ["302"], Location = "http://echo:8083/port" }, redirect));
        Assert.Contains("without a backend", CaseCheck.Check(new CaseExpectation { Status = ["302"], Backend = "echo-v1" }, redirect), StringComparison.Ordinal);
        Assert.Equal("expected Location http://echo/x, got http://echo:8083/port", CaseCheck.Check(new CaseExpectation { Status = ["302"], Location = "http://echo/x" }, redirect));
    }

    [Fact]
    public void Request_headers_compare_names_case_insensitively_and_join_repeated_values_with_commas()
    {
        var response = Echo(requestHeaders: ["X-Header-Add:some-other-value", "X-Header-Add:add-appends-values", "Some-Other-Header:val"]);

        Assert.Null(CaseCheck.Check(new CaseExpectation { RequestHeaders = [new("x-header-add", "some-other-value,add-appends-values"), new("Some-Other-Header", "val")] }, response));
        Assert.Equal(
            "expected request header X-Header-Add: add-appends-values, got some-other-value,add-appends-values",
            CaseCheck.Check(new CaseExpectation { RequestHeaders = [new("X-Header-Add", "add-appends-values")] }, response));
        Assert.Contains("did not receive it", CaseCheck.Check(new CaseExpectation { RequestHeaders = [new("X-Missing", "v")] }, response), StringComparison.Ordinal);
    }

    [Fact]
    public void Absent_request_headers_must_not_reach_the_backend()
    {
        var response = Echo(requestHeaders: ["X-Header-Remove:val"]);

        Assert.Null(CaseCheck.Check(new CaseExpectation { AbsentRequestHeaders = ["X-Other"] }, response));
        Assert.Equal("expected request header x-header-remove to be absent, got val", CaseCheck.Check(new CaseExpectation { AbsentRequestHeaders = ["x-header-remove"] }, response));
    }

    [Fact]
    public void Response_headers_present_and_absent()
    {
        var response = Echo(responseHeaders: new KeyValuePair<string, string>("X-Header-Set", "set"));

        Assert.Null(CaseCheck.Check(new CaseExpectation { ResponseHeaders = [new("x-header-set", "set")] }, response));
        Assert.Equal("expected response header X-Header-Set to be absent, got set", CaseCheck.Check(new CaseExpectation { AbsentResponseHeaders = ["X-Header-Set"] }, response));
        Assert.Equal("expected response header X-Other: v, but it is absent", CaseCheck.Check(new CaseExpectation { ResponseHeaders = [new("X-Other", "v")] }, response));
    }

    [Fact]
    public void The_path_is_the_URL_the_backend_received()
    {
        Assert.Null(CaseCheck.Check(new CaseExpectation { Path = "/one/two?x=1" }, Echo(url: "/one/two?x=1")));
        Assert.Equal("expected the backend to receive path /one, got /prefix/one", CaseCheck.Check(new CaseExpectation { Path = "/one" }, Echo(url: "/prefix/one")));
    }

    private static readonly CaseExpectation Split = new() { Distribution = new Dictionary<string, double> { ["echo-v1"] = 0.7, ["echo-v2"] = 0.3 }, Tolerance = 0.05 };

    private static List<(int, string?)> Batch(int v1, int v2, int other = 0) =>
    [
        .. Enumerable.Repeat<(int, string?)>((200, "echo-v1-aaaaaaaaaa-bbbbb"), v1),
        .. Enumerable.Repeat<(int, string?)>((200, "echo-v2-aaaaaaaaaa-bbbbb"), v2),
        .. Enumerable.Repeat<(int, string?)>((200, "echo-v3-aaaaaaaaaa-bbbbb"), other),
    ];

    [Fact]
    public void A_distribution_within_tolerance_passes() => Assert.Null(CaseCheck.CheckDistribution(Split, Batch(340, 160)));

    [Fact]
    public void A_distribution_outside_tolerance_fails() =>
        Assert.StartsWith("distribution echo-v1 0.800, echo-v2 0.200 is not within ±0.05", CaseCheck.CheckDistribution(Split, Batch(400, 100)), StringComparison.Ordinal);

    [Fact]
    public void An_unlisted_backend_must_get_nothing() =>
        Assert.Contains("echo-v3", CaseCheck.CheckDistribution(Split, Batch(349, 150, 1)), StringComparison.Ordinal);

    [Fact]
    public void Every_response_in_a_batch_needs_an_expected_status() =>
        Assert.StartsWith("expected status 200 for every request, got 503", CaseCheck.CheckDistribution(Split, [.. Batch(350, 149), (503, null)]), StringComparison.Ordinal);
}
