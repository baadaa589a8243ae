using Weft.Proxy.Metrics;

namespace Weft.Proxy.Tests.Metrics;

/// <summary>
/// A family holds at most its limit of series; a label set beyond it is counted in one overflow series (every label
/// "overflow"), and <c>weft_metrics_series_overflow_total</c> says how many observations were folded into it.
/// </summary>
public sealed class SeriesLimitTests
{
    [Fact]
    public void Label_sets_beyond_the_limit_are_counted_in_one_overflow_series()
    {
        var metrics = new ProxyMetrics(maxSeries: 3);
        for (var i = 0; i < 5; i++)
        {
            metrics.RecordRequest(ExpositionFormatTests.Outbound with { PeerWorkload = $"w{i}" }, 200, TimeSpan.FromMilliseconds(1));
        }

        metrics.RecordRequest(ExpositionFormatTests.Outbound with { PeerWorkload = "w0" }, 200, TimeSpan.FromMilliseconds(1)); // known: its own series

        var samples = ExpositionParser.Parse(metrics.WritePrometheus(), openMetrics: false).Samples;
        var requests = samples.Where(s => s.Name == "weft_requests_total").ToList();
        Assert.Equal(4, requests.Count);
        Assert.Equal(2, requests.Single(s => s.Labels["dst_workload"] == "w0").Value);
        var overflow = requests.Single(s => s.Labels["direction"] == "overflow");
        Assert.Equal(2, overflow.Value);
        Assert.All(overflow.Labels.Where(l => l.Key != "status_class"), l => Assert.Equal("overflow", l.Value));
        Assert.Equal(2, samples.Single(s => s.Name == "weft_metrics_series_overflow_total" && s.Labels["family"] == "weft_requests_total").Value);
        Assert.Equal(4, samples.Count(s => s.Name == "weft_request_duration_seconds_count"));
    }

    [Fact]
    public void Inbound_callers_beyond_the_limit_are_labelled_without_their_workload()
    {
        var labels = new InboundLabels(limit: 2);
        const string Peer = "spiffe://cluster.local/ns/shop/sa/web";

        Assert.Equal("a", labels.For(8080, Peer, "shop/a").PeerWorkload);
        Assert.Equal("", labels.For(8080, Peer, "shop/b").PeerWorkload);
        Assert.Equal("a", labels.For(8080, Peer, "shop/a").PeerWorkload);
        Assert.Equal("shop", labels.For(8080, Peer, "shop/b").PeerNamespace);
    }

    [Fact]
    public void One_caller_is_believed_for_at_most_a_few_workload_names_so_made_up_names_cannot_fill_the_series_bound()
    {
        var labels = new InboundLabels();
        var metrics = new ProxyMetrics();
        const string Flooder = "spiffe://cluster.local/ns/shop/sa/web";
        for (var i = 0; i < 100; i++)
        {
            metrics.RecordRequest(labels.For(8080, Flooder, $"shop/made-up-{i}"), 200, TimeSpan.FromMilliseconds(1));
        }

        metrics.RecordRequest(labels.For(8080, "spiffe://cluster.local/ns/shop/sa/cart", "shop/cart"), 200, TimeSpan.FromMilliseconds(1));

        var requests = ExpositionParser.Parse(metrics.WritePrometheus(), openMetrics: false).Samples.Where(s => s.Name == "weft_requests_total").ToList();
        var flooder = requests.Where(s => s.Labels["src_identity"] == Flooder).ToList();
        Assert.Equal(InboundLabels.MaxWorkloadsPerCaller + 1, flooder.Count); // its first names, and one series without a workload
        Assert.Equal(100 - InboundLabels.MaxWorkloadsPerCaller, flooder.Single(s => s.Labels["src_workload"] == "").Value);
        Assert.Equal("made-up-0", labels.For(8080, Flooder, "shop/made-up-0").PeerWorkload); // a name it was believed for stays
        Assert.Single(requests, s => s.Labels["src_workload"] == "cart");
        Assert.DoesNotContain(requests, s => s.Labels["direction"] == "overflow");
    }

    [Theory]
    [InlineData("spiffe://cluster.local/ns/shop/sa/web", "shop/web", "web")]
    [InlineData("spiffe://cluster.local/ns/shop/sa/web", "other/web", "")]
    [InlineData("spiffe://cluster.local/ns/shop/sa/web", "shop/", "")]
    [InlineData("spiffe://cluster.local/ns/shop/sa/web", "shop/Web", "")]
    [InlineData("spiffe://cluster.local/ns/shop/sa/web", "shop/a/b", "")]
    [InlineData("spiffe://cluster.local/ns/shop/sa/web", "shop/-web", "")]
    [InlineData(null, "shop/web", "")]
    [InlineData("spiffe://cluster.local/other/path", "shop/web", "")]
    public void A_claimed_workload_is_believed_only_for_the_namespace_the_caller_proved(string? peer, string claimed, string believed) =>
        Assert.Equal(believed, InboundLabels.TrustedWorkload(peer, claimed).ToString());
}
