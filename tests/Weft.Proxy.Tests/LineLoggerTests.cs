using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Weft.Proxy.Tests;

public sealed class LineLoggerTests
{
    [Fact]
    public void An_entry_is_one_line_with_time_level_category_event_id_and_message()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 26, 7, 8, 9, 123, TimeSpan.Zero));
        time.SetLocalTimeZone(TimeZoneInfo.Utc);
        using var output = new StringWriter();
        using var provider = new LineLoggerProvider(output, time);
        var logger = provider.CreateLogger("Weft.Proxy.Inbound");

        logger.Log(LogLevel.Warning, new EventId(7), "no app on port 9", null, (s, _) => s);
        logger.Log(LogLevel.Error, new EventId(8), "failed", new InvalidOperationException("boom"), (s, _) => s);

        var lines = output.ToString().Split(Environment.NewLine);
        Assert.Equal("07:08:09.123 warn: Weft.Proxy.Inbound[7] no app on port 9", lines[0]);
        Assert.StartsWith("07:08:09.123 fail: Weft.Proxy.Inbound[8] failed System.InvalidOperationException: boom", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Kestrels_warning_that_HTTP2_needs_TLS_is_not_written_as_the_mesh_listeners_TLS_is_the_sidecars_own()
    {
        using var output = new StringWriter();
        using var provider = new LineLoggerProvider(output, TimeProvider.System);
        var kestrel = provider.CreateLogger("Microsoft.AspNetCore.Server.Kestrel");

        kestrel.Log(LogLevel.Warning, new EventId(64, "Http2DisabledWithHttp1AndNoTls"), "HTTP/2 is not enabled for 10.0.0.1:15006.", null, (s, _) => s);
        kestrel.Log(LogLevel.Warning, new EventId(22, "HeartbeatSlow"), "As of now the heartbeat has been running for 1s", null, (s, _) => s);
        provider.CreateLogger("Weft.Proxy").Log(LogLevel.Warning, new EventId(64, "Http2DisabledWithHttp1AndNoTls"), "ours", null, (s, _) => s);

        var lines = output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Contains("Microsoft.AspNetCore.Server.Kestrel[22] As of now", lines[0], StringComparison.Ordinal);
        Assert.Contains("Weft.Proxy[64] ours", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public void An_exception_is_one_line_and_a_burst_of_them_is_one_line_per_interval_with_a_count()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 26, 7, 8, 9, 123, TimeSpan.Zero));
        time.SetLocalTimeZone(TimeZoneInfo.Utc);
        using var output = new StringWriter();
        using var provider = new LineLoggerProvider(output, time);
        var logger = provider.CreateLogger("Microsoft.AspNetCore.Server.Kestrel");

        for (var i = 0; i < 100; i++)
        {
            logger.Log(LogLevel.Error, new EventId(13), "connection\nbroke", Thrown(), (s, _) => s);
        }

        time.Advance(ProxyLog.RefusalInterval);
        logger.Log(LogLevel.Error, new EventId(13), "connection broke", Thrown(), (s, _) => s);

        var lines = output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("07:08:09.123 fail: Microsoft.AspNetCore.Server.Kestrel[13] connection broke System.IO.IOException: reset", lines[0], StringComparison.Ordinal);
        Assert.EndsWith("(99 more like it since the last line)", lines[1], StringComparison.Ordinal);
    }

    private static IOException Thrown()
    {
        try
        {
            throw new IOException("reset", new InvalidOperationException("inner"));
        }
        catch (IOException e)
        {
            return e;
        }
    }
}
