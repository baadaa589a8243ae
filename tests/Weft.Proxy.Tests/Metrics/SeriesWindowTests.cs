using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Weft.Proxy.Admin;
using Weft.Proxy.Metrics;
using Weft.Proxy.Tests.Http1;

namespace Weft.Proxy.Tests.Metrics;

/// <summary>
/// The last minute of each request series in 10-second slots, for <c>weft stat</c>: a window sums the whole slots it
/// asks for and the current, partial one (never reaching back before the counters began), a slot leaves the window once
/// seven newer periods have begun and is reused for a later one, and <c>/stat?window=</c> serves the sums as JSON.
/// </summary>
public sealed class SeriesWindowTests
{
    private static readonly RequestLabels Labels = ExpositionFormatTests.Outbound;

    [Fact]
    public void A_window_counts_the_whole_slots_it_asks_for_and_the_current_one()
    {
        var time = new FakeTimeProvider();
        var metrics = new ProxyMetrics(time: time);
        Record(metrics, 200, 3);
        time.Advance(TimeSpan.FromSeconds(10));
        Record(metrics, 503, 1);

        var minute = Window(metrics, TimeSpan.FromMinutes(1));
        Assert.Equal(4, minute.Requests);
        Assert.Equal(3, minute.Successes);
        Assert.Equal(4, Window(metrics, TimeSpan.FromSeconds(10)).Requests); // the slot before and the current one

        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(1, Window(metrics, TimeSpan.FromSeconds(10)).Requests);
        Assert.Equal(4, Window(metrics, TimeSpan.FromSeconds(11)).Requests); // rounded up to two whole slots
    }

    [Fact]
    public void A_ten_second_rate_does_not_jump_when_a_slot_begins()
    {
        // 10 requests a second, in bursts of five every half second: read just after a slot began (when that slot holds
        // one burst in a tenth of a second), the window still covers 10 s and more, and the rate stays near 10.
        var time = new FakeTimeProvider();
        var metrics = new ProxyMetrics(time: time);
        for (var tick = 0; tick < 400; tick++)
        {
            if (tick % 5 == 0)
            {
                Record(metrics, 200, 5);
            }

            time.Advance(TimeSpan.FromMilliseconds(100));
            if (tick >= 100)
            {
                using var json = Json(metrics, TimeSpan.FromSeconds(10));
                var seconds = json.RootElement.GetProperty("seconds").GetDouble();
                var requests = json.RootElement.GetProperty("series")[0].GetProperty("requests").GetInt64();
                Assert.InRange(seconds, 10, 20);
                Assert.InRange(requests / seconds, 9.5, 10.5);
            }
        }
    }

    [Fact]
    public void A_request_that_got_no_answer_is_not_a_success()
    {
        var metrics = new ProxyMetrics(time: new FakeTimeProvider());
        Record(metrics, 0, 1); // status class "other": the answer never came
        Record(metrics, 404, 1);

        Assert.Equal((2, 1), (Window(metrics, TimeSpan.FromMinutes(1)).Requests, Window(metrics, TimeSpan.FromMinutes(1)).Successes));
    }

    [Fact]
    public void A_window_does_not_reach_back_before_the_counters_began()
    {
        var time = new FakeTimeProvider();
        time.Advance(TimeSpan.FromSeconds(15)); // half a slot in: the sidecar starts
        var metrics = new ProxyMetrics(time: time);
        time.Advance(TimeSpan.FromSeconds(3));
        Record(metrics, 200, 6);

        using var json = Json(metrics, TimeSpan.FromSeconds(10));
        Assert.Equal(3, json.RootElement.GetProperty("seconds").GetDouble()); // not the 18 s since the slot before began
        Assert.Equal(10, json.RootElement.GetProperty("windowSeconds").GetDouble());
    }

    [Fact]
    public void A_slot_leaves_the_window_seven_periods_later_and_is_reused()
    {
        var time = new FakeTimeProvider();
        var metrics = new ProxyMetrics(time: time);
        Record(metrics, 200, 3);
        time.Advance(TimeSpan.FromSeconds(10));
        Record(metrics, 500, 1);

        time.Advance(TimeSpan.FromSeconds(50)); // six periods after the first: still in the minute before this instant
        Assert.Equal((4, 3), (Window(metrics, TimeSpan.FromMinutes(1)).Requests, Window(metrics, TimeSpan.FromMinutes(1)).Successes));

        time.Advance(TimeSpan.FromSeconds(10)); // seven: it has left the window
        Assert.Equal((1, 0), (Window(metrics, TimeSpan.FromMinutes(1)).Requests, Window(metrics, TimeSpan.FromMinutes(1)).Successes));

        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Null(Window(metrics, TimeSpan.FromMinutes(1)).Series); // nothing in the last minute: the series is left out

        Record(metrics, 204, 2); // a slot of an earlier period, reused
        var minute = Window(metrics, TimeSpan.FromMinutes(1));
        Assert.Equal((2, 2), (minute.Requests, minute.Successes));
    }

    [Fact]
    public void The_window_gives_latency_buckets_and_the_seconds_it_covers()
    {
        var time = new FakeTimeProvider();
        var metrics = new ProxyMetrics(time: time);
        time.Advance(TimeSpan.FromSeconds(65));
        metrics.RecordRequest(Labels, 200, TimeSpan.FromMilliseconds(3));
        metrics.RecordRequest(Labels, 200, TimeSpan.FromMilliseconds(40));
        metrics.RecordRequest(Labels, 200, TimeSpan.FromSeconds(45));

        using var json = Json(metrics, TimeSpan.FromMinutes(1));
        var root = json.RootElement;
        Assert.Equal(65, root.GetProperty("seconds").GetDouble()); // six whole periods and half the current one
        Assert.Equal(60, root.GetProperty("windowSeconds").GetDouble());
        var bounds = root.GetProperty("bounds").EnumerateArray().Select(b => b.GetDouble()).ToArray();
        var series = root.GetProperty("series")[0];
        var buckets = series.GetProperty("buckets").EnumerateArray().Select(b => b.GetInt64()).ToArray();
        Assert.Equal(bounds.Length + 1, buckets.Length);
        Assert.Equal(1, buckets[Array.IndexOf(bounds, 0.005)]);
        Assert.Equal(1, buckets[Array.IndexOf(bounds, 0.05)]);
        Assert.Equal(1, buckets[^1]);
        Assert.Equal(3, series.GetProperty("statusClasses").GetProperty("2xx").GetInt64());
        Assert.Equal("cart-v1", series.GetProperty("labels").GetProperty("dst_workload").GetString());
    }

    [Theory]
    [InlineData("", 60)]
    [InlineData("60s", 60)]
    [InlineData("10s", 10)]
    [InlineData("1m", 60)]
    [InlineData("2m", null)]
    [InlineData("61s", null)]
    [InlineData("0s", null)]
    [InlineData("10", null)]
    [InlineData("-5s", null)]
    public void The_stat_window_is_whole_seconds_or_minutes_up_to_a_minute(string text, int? seconds)
    {
        var ok = AdminHandler.TryParseWindow(text, out var window);

        Assert.Equal(seconds is not null, ok);
        if (seconds is { } s)
        {
            Assert.Equal(TimeSpan.FromSeconds(s), window);
        }
    }

    [Fact]
    public async Task The_admin_endpoint_serves_the_window_of_real_requests()
    {
        await using var app = ScriptedApp.Start(_ => ScriptedReply.Ok("ok"));
        await using var sidecar = await Sidecar.StartAsync();
        await using (var connection = await RawConnection.OpenAsync(sidecar.Inbound))
        {
            for (var i = 0; i < 3; i++)
            {
                await connection.SendAsync(Sidecar.Get(app.Port));
                Assert.Equal(200, (await connection.ReadResponseAsync()).Status);
            }
        }

        using var client = new HttpClient { BaseAddress = new Uri($"http://{sidecar.Proxy.AdminEndpoint}") };
        var text = await Eventually.ValueAsync(() => client.GetStringAsync(new Uri("/stat?window=30s", UriKind.Relative)),
            t => t.Contains("\"requests\": 3", StringComparison.Ordinal), "the three requests are in the window");
        using var json = JsonDocument.Parse(text);
        var series = Assert.Single(json.RootElement.GetProperty("series").EnumerateArray());
        Assert.Equal("inbound", series.GetProperty("labels").GetProperty("direction").GetString());
        Assert.Equal(3, series.GetProperty("successes").GetInt64());
        using var bad = await client.GetAsync(new Uri("/stat?window=5m", UriKind.Relative));
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, bad.StatusCode);
    }

    private static void Record(ProxyMetrics metrics, int status, int count)
    {
        for (var i = 0; i < count; i++)
        {
            metrics.RecordRequest(Labels, status, TimeSpan.FromMilliseconds(5));
        }
    }

    private static (long Requests, long Successes, JsonElement? Series) Window(ProxyMetrics metrics, TimeSpan window)
    {
        using var json = Json(metrics, window);
        var series = json.RootElement.GetProperty("series");
        if (series.GetArrayLength() == 0)
        {
            return (0, 0, null);
        }

        var one = Assert.Single(series.EnumerateArray());
        return (one.GetProperty("requests").GetInt64(), one.GetProperty("successes").GetInt64(), one.Clone());
    }

    private static JsonDocument Json(ProxyMetrics metrics, TimeSpan window)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            metrics.WriteWindow(writer, window);
        }

        return JsonDocument.Parse(stream.ToArray());
    }
}
