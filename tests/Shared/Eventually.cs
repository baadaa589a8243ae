using System.Diagnostics;

namespace Weft.Tests.Shared;

/// <summary>
/// Waits for a condition with a deadline (never a bare sleep as synchronisation). One source, linked into each test
/// project that waits (<c>&lt;Compile Include="../Shared/Eventually.cs" /&gt;</c>).
/// </summary>
internal static class Eventually
{
    private static readonly TimeSpan DefaultWithin = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(10);

    /// <summary>Polls <paramref name="condition"/> until it holds; fails the test when <paramref name="within"/> (10 s) passes first.</summary>
    public static async Task TrueAsync(Func<bool> condition, string what, TimeSpan? within = null)
    {
        var limit = within ?? DefaultWithin;
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > limit)
            {
                Assert.Fail($"not within {limit.TotalSeconds:0.###} s: {what}");
            }

            await Task.Delay(Poll);
        }
    }

    /// <summary>Reads a value until it satisfies <paramref name="condition"/> and returns it; fails the test (with the last value read) when <paramref name="within"/> (10 s) passes first.</summary>
    public static async Task<T> ValueAsync<T>(Func<Task<T>> read, Func<T, bool> condition, string what, TimeSpan? within = null)
    {
        var limit = within ?? DefaultWithin;
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var value = await read();
            if (condition(value))
            {
                return value;
            }

            if (clock.Elapsed > limit)
            {
                Assert.Fail($"not within {limit.TotalSeconds:0.###} s: {what} (last: {value})");
            }

            await Task.Delay(Poll);
        }
    }

    /// <summary>The task's result; fails the test when the task has not finished within <paramref name="within"/> (10 s).</summary>
    public static async Task<T> ResultAsync<T>(Task<T> task, string what, TimeSpan? within = null)
    {
        var limit = within ?? DefaultWithin;
        using var timeout = new CancellationTokenSource();
        var finished = await Task.WhenAny(task, Task.Delay(limit, timeout.Token));
        if (finished != task)
        {
            Assert.Fail($"not within {limit.TotalSeconds:0.###} s: {what}");
        }

        await timeout.CancelAsync();
        return await task;
    }
}
