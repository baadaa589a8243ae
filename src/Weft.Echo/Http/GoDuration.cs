using System.Globalization;

namespace Weft.Echo.Http;

/// <summary>
/// Go's time.ParseDuration, which the upstream echo app uses for <c>?delay=</c>: an optional sign, then one or
/// more decimal numbers (fraction allowed) each followed by a unit (ns, us, µs, ms, s, m, h), e.g. "1.5s",
/// "1m30s", "500ms"; a bare "0" is allowed.
/// </summary>
internal static class GoDuration
{
    public static bool TryParse(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        var s = text.AsSpan();
        var negative = false;
        if (s.Length > 0 && (s[0] == '-' || s[0] == '+'))
        {
            negative = s[0] == '-';
            s = s[1..];
        }

        if (s is "0")
        {
            return true;
        }

        if (s.IsEmpty)
        {
            return false;
        }

        decimal totalNanoseconds = 0;
        while (!s.IsEmpty)
        {
            var numberLength = 0;
            while (numberLength < s.Length && (char.IsAsciiDigit(s[numberLength]) || s[numberLength] == '.'))
            {
                numberLength++;
            }

            if (numberLength == 0 || s[..numberLength] is "."
                || !decimal.TryParse(s[..numberLength], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                return false;
            }

            s = s[numberLength..];
            var unitLength = 0;
            while (unitLength < s.Length && !char.IsAsciiDigit(s[unitLength]) && s[unitLength] != '.')
            {
                unitLength++;
            }

            decimal? nanosecondsPerUnit = s[..unitLength] switch
            {
                "ns" => 1m,
                "us" or "µs" or "μs" => 1_000m,
                "ms" => 1_000_000m,
                "s" => 1_000_000_000m,
                "m" => 60m * 1_000_000_000m,
                "h" => 3600m * 1_000_000_000m,
                _ => null,
            };
            if (nanosecondsPerUnit is not { } unit)
            {
                return false;
            }

            totalNanoseconds += number * unit;
            s = s[unitLength..];
        }

        // Go's limit: a duration is an int64 of nanoseconds.
        if (totalNanoseconds > long.MaxValue)
        {
            return false;
        }

        var ticks = (long)(totalNanoseconds / 100m);
        duration = TimeSpan.FromTicks(negative ? -ticks : ticks);
        return true;
    }
}
