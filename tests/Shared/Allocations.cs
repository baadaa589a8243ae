namespace Weft.Tests.Shared;

/// <summary>
/// What a loop allocates on the test's thread, for the tests that hold a hot path to allocating nothing. One source,
/// linked into each test project that measures (<c>&lt;Compile Include="../Shared/Allocations.cs" /&gt;</c>).
/// </summary>
internal static class Allocations
{
    /// <summary>
    /// The fewest bytes <paramref name="body"/> allocated on this thread in one of <paramref name="attempts"/> runs of
    /// <paramref name="iterations"/> calls. An allocation of the code under test shows in every run; one of the
    /// runtime's (a method's next tier or on-stack replacement installed mid-loop, a type loaded) in one run, which a
    /// single run counted as the code's: the HPACK decoder's test read 8,024 bytes in one CI run of about twenty.
    /// </summary>
    public static long Fewest(Action body, int iterations = 1000, int attempts = 3)
    {
        ArgumentNullException.ThrowIfNull(body);
        var fewest = long.MaxValue;
        for (var attempt = 0; attempt < attempts; attempt++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < iterations; i++)
            {
                body();
            }

            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        return fewest;
    }
}
