using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Weft.Proxy.Metrics;

namespace Weft.Proxy.Tests.Metrics;

/// <summary>
/// The last minute of each L4 connection series, for <c>weft stat</c>'s TCP columns: connections opened and bytes read
/// and written in the window (in the slots they were counted in, as request series are), and the connections open when
/// asked; a series with neither is left out.
/// </summary>
public sealed class TcpWindowTests
{
    private static readonly RequestLabels Labels = ExpositionFormatTests.Outbound with { RouteKind = "TCPRoute", RouteName = "db" };

    [Fact]
    public void An_L4_series_window_counts_connections_opened_and_bytes_in_it_and_the_ones_open_now()
    {
        var time = new FakeTimeProvider();
        var metrics = new ProxyMetrics(time: time);
        var first = metrics.OpenConnection(Labels);
        first.AddRead(100);
        first.AddWritten(3000);
        time.Advance(TimeSpan.FromSeconds(20));
        var second = metrics.OpenConnection(Labels);
        second.AddRead(5);
        first.Close();

        Assert.Equal((1UL, 2UL, 105UL, 3000UL), Tcp(metrics, TimeSpan.FromMinutes(1)));
        Assert.Equal((1UL, 1UL, 5UL, 0UL), Tcp(metrics, TimeSpan.FromSeconds(10))); // this slot and the one before: the first was opened two before
    }

    [Fact]
    public void An_open_connection_is_in_the_window_after_its_traffic_has_left_it_and_a_closed_idle_one_is_not()
    {
        var time = new FakeTimeProvider();
        var metrics = new ProxyMetrics(time: time);
        var connection = metrics.OpenConnection(Labels);
        connection.AddRead(10);

        time.Advance(TimeSpan.FromSeconds(80)); // the open and the bytes have left the last minute
        Assert.Equal((1UL, 0UL, 0UL, 0UL), Tcp(metrics, TimeSpan.FromMinutes(1)));

        connection.Close();
        Assert.Empty(metrics.Window(TimeSpan.FromMinutes(1)).Series);
    }

    [Fact]
    public void Request_series_carry_no_TCP_counts_and_the_JSON_window_names_an_L4_series_counts()
    {
        var time = new FakeTimeProvider();
        var metrics = new ProxyMetrics(time: time);
        metrics.RecordRequest(ExpositionFormatTests.Outbound, 200, TimeSpan.FromMilliseconds(1));
        metrics.OpenConnection(Labels).AddWritten(42);

        var window = metrics.Window(TimeSpan.FromMinutes(1));
        Assert.Equal([(1UL, false), (0UL, true)], window.Series.Select(s => (s.Requests, s.Tcp is not null)));
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            metrics.WriteWindow(writer, TimeSpan.FromMinutes(1));
        }

        using var json = JsonDocument.Parse(stream.ToArray());
        var series = json.RootElement.GetProperty("series");
        Assert.False(series[0].TryGetProperty("tcp", out _));
        var tcp = series[1].GetProperty("tcp");
        Assert.Equal((1, 1, 0, 42), (tcp.GetProperty("open").GetInt64(), tcp.GetProperty("opened").GetInt64(), tcp.GetProperty("readBytes").GetInt64(), tcp.GetProperty("writeBytes").GetInt64()));
        Assert.Equal("TCPRoute", series[1].GetProperty("labels").GetProperty("route_kind").GetString());
    }

    private static (ulong Open, ulong Opened, ulong Read, ulong Written) Tcp(ProxyMetrics metrics, TimeSpan window)
    {
        var tcp = Assert.Single(metrics.Window(window).Series).Tcp;
        Assert.NotNull(tcp);
        return (tcp.Open, tcp.Opened, tcp.ReadBytes, tcp.WriteBytes);
    }
}
