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
}
