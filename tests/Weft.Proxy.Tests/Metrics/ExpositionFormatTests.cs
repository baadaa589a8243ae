using System.Net.Http.Headers;
using Weft.Proxy.Metrics;
using Weft.Proxy.Tests.Http1;
using Weft.Routing.Authorization;
using Weft.Routing.Resilience;

namespace Weft.Proxy.Tests.Metrics;

/// <summary>
/// <c>/metrics</c> answers in the Prometheus text format 0.0.4 unless the scraper's Accept asks for OpenMetrics, then in
/// OpenMetrics 1.0.0; both parse under their format's rules (<see cref="ExpositionParser"/>) with every family the
/// proxy has, histograms cumulative and ending in +Inf equal to their count.
/// </summary>
public sealed class ExpositionFormatTests
{
    internal static readonly RequestLabels Outbound = new("outbound", "shop", "cart", "8080", "HTTPRoute", "shop", "cart-split", "0", "shop/cart-v1:80",
        "shop", "cart-v1", "spiffe://cluster.local/ns/shop/sa/cart");

    internal static readonly RequestLabels Inbound = new("inbound", "", "", "8080", "", "", "", "", "", "shop", "web", "spiffe://cluster.local/ns/shop/sa/web");

    /// <summary>A proxy's metrics with a sample of every family.</summary>
    internal static ProxyMetrics Busy()
    {
        var metrics = new ProxyMetrics(new LocalWorkload("shop", "web", () => "spiffe://cluster.local/ns/shop/sa/web")) { Process = () => ProcessSeriesTests.Fixed };
        metrics.RecordRequest(Outbound, 200, TimeSpan.FromMilliseconds(3));
        metrics.RecordRequest(Outbound, 200, TimeSpan.FromMilliseconds(70));
        metrics.RecordRequest(Outbound, 503, TimeSpan.FromSeconds(40));
        metrics.RecordRequest(Inbound, 404, TimeSpan.FromMilliseconds(1));
        metrics.RecordRetry(Outbound, RetryVerdict.Retry);
        metrics.RecordAuthorization("allow-web", "0", AuthorizationVerdict.AllowedByPolicy, allowed: true);
        metrics.RecordAuthorization("default:deny", "", AuthorizationVerdict.DeniedByDefault, allowed: false);
        var tcp = metrics.OpenConnection(Outbound with { RouteKind = "TCPRoute" });
        tcp.AddRead(100);
        tcp.AddWritten(2000);
        tcp.Close();
        metrics.OpenConnection(Inbound);
        return metrics;
    }

    [Fact]
    public void The_Prometheus_text_declares_every_family_before_its_samples_and_histograms_are_cumulative()
    {
        var exposition = ExpositionParser.Parse(Busy().Write(ExpositionFormat.Prometheus), openMetrics: false);

        ExpositionParser.CheckHistograms(exposition);
        Assert.Equal("counter", exposition.Types["weft_requests_total"]);
        Assert.Equal("histogram", exposition.Types["weft_request_duration_seconds"]);
        Assert.Equal("counter", exposition.Types["weft_tcp_read_bytes_total"]);
        Assert.Equal("gauge", exposition.Types["weft_tcp_connections_open"]);
        var slow = exposition.Samples.Single(s => s.Name == "weft_request_duration_seconds_bucket" && s.Labels["le"] == "30" && s.Labels["direction"] == "outbound");
        Assert.Equal(2, slow.Value); // the 40 s request is only in +Inf
    }

    [Fact]
    public void OpenMetrics_names_counter_families_without_total_declares_units_and_ends_with_EOF()
    {
        var text = Busy().Write(ExpositionFormat.OpenMetrics);
        var exposition = ExpositionParser.Parse(text, openMetrics: true);

        ExpositionParser.CheckHistograms(exposition);
        Assert.Equal("counter", exposition.Types["weft_requests"]);
        Assert.Equal("counter", exposition.Types["weft_tcp_write_bytes"]);
        Assert.Contains("# UNIT weft_request_duration_seconds seconds\n", text, StringComparison.Ordinal);
        Assert.Contains("# UNIT weft_tcp_read_bytes bytes\n", text, StringComparison.Ordinal);
        Assert.EndsWith("\n# EOF\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain(exposition.Types.Keys, k => k.EndsWith("_total", StringComparison.Ordinal));
    }

    [Fact]
    public void Both_formats_carry_the_same_samples()
    {
        var metrics = Busy();
        var prometheus = ExpositionParser.Parse(metrics.Write(ExpositionFormat.Prometheus), openMetrics: false).Samples;
        var openMetrics = ExpositionParser.Parse(metrics.Write(ExpositionFormat.OpenMetrics), openMetrics: true).Samples;

        Assert.Equal(prometheus.Select(s => (s.Name, s.Value, string.Join(',', s.Labels))), openMetrics.Select(s => (s.Name, s.Value, string.Join(',', s.Labels))));
    }

    [Fact]
    public void TCP_series_count_connections_opened_closed_and_open_and_bytes_each_way()
    {
        var samples = ExpositionParser.Parse(Busy().Write(ExpositionFormat.Prometheus), openMetrics: false).Samples;

        double Value(string name, string direction) => samples.Single(s => s.Name == name && s.Labels["direction"] == direction).Value;
        Assert.Equal(1, Value("weft_tcp_connections_opened_total", "outbound"));
        Assert.Equal(1, Value("weft_tcp_connections_closed_total", "outbound"));
        Assert.Equal(0, Value("weft_tcp_connections_open", "outbound"));
        Assert.Equal(100, Value("weft_tcp_read_bytes_total", "outbound"));
        Assert.Equal(2000, Value("weft_tcp_write_bytes_total", "outbound"));
        Assert.Equal(1, Value("weft_tcp_connections_open", "inbound"));
        Assert.DoesNotContain(samples, s => s.Name.StartsWith("weft_tcp", StringComparison.Ordinal) && s.Labels.ContainsKey("status_class"));
    }

    // RFC 9110 weights: Prometheus' own scrape header ranks OpenMetrics first; q=0 refuses a type.
    [Theory]
    [InlineData("application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2", "OpenMetrics")]
    [InlineData("application/openmetrics-text", "OpenMetrics")]
    [InlineData("application/openmetrics-text;q=0", "Prometheus")]
    [InlineData("text/plain;q=1, application/openmetrics-text;q=0.5", "Prometheus")]
    [InlineData("*/*", "Prometheus")]
    [InlineData(null, "Prometheus")]
    [InlineData("not a media type ,,;;", "Prometheus")]
    public void The_format_is_the_Accept_header_s_higher_weighted_of_the_two(string? accept, string expected) =>
        Assert.Equal(expected, ExpositionWriter.Negotiate(accept).ToString());

    [Theory]
    [InlineData(null, "text/plain; version=0.0.4; charset=utf-8")]
    [InlineData("text/plain", "text/plain; version=0.0.4; charset=utf-8")]
    [InlineData("application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.1", "application/openmetrics-text; version=1.0.0; charset=utf-8")]
    public async Task The_admin_endpoint_answers_in_the_format_the_Accept_header_asks_for(string? accept, string contentType)
    {
        await using var sidecar = await Sidecar.StartAsync();
        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{sidecar.Proxy.AdminEndpoint}/metrics");
        if (accept is not null)
        {
            request.Headers.Accept.ParseAdd(accept);
        }

        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(MediaTypeHeaderValue.Parse(contentType), response.Content.Headers.ContentType);
        ExpositionParser.Parse(text, openMetrics: contentType.StartsWith("application/openmetrics-text", StringComparison.Ordinal));
    }
}
