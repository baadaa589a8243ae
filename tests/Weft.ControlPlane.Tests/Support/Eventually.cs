using System.Diagnostics;

namespace Weft.ControlPlane.Tests.Support;

/// <summary>Waits for a condition with a deadline (no sleeps as synchronisation).</summary>
internal static class Eventually
{
    public static async Task<TimeSpan> TrueAsync(Func<bool> condition, TimeSpan deadline, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > deadline)
            {
                throw new TimeoutException($"not within {deadline.TotalMilliseconds} ms: {what}");
            }

            await Task.Delay(5);
        }

        return clock.Elapsed;
    }

    public static async Task<T> ValueAsync<T>(Func<ValueTask<T>> read, Func<T, bool> condition, TimeSpan deadline, string what)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var value = await read();
            if (condition(value))
            {
                return value;
            }

            if (clock.Elapsed > deadline)
            {
                throw new TimeoutException($"not within {deadline.TotalMilliseconds} ms: {what} (last: {value})");
            }

            await Task.Delay(5);
        }
    }
}
