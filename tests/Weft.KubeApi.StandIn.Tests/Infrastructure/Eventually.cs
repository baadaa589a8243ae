namespace Weft.KubeApi.StandIn.Tests.Infrastructure;

/// <summary>Waits for a condition with a deadline (never a bare sleep as synchronisation).</summary>
internal static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, string what, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(10));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out waiting until {what}");
            }

            await Task.Delay(10);
        }
    }

    public static async Task<T> ResultAsync<T>(Task<T> task, string what, TimeSpan? within = null)
    {
        var finished = await Task.WhenAny(task, Task.Delay(within ?? TimeSpan.FromSeconds(10)));
        Assert.True(finished == task, $"timed out waiting until {what}");
        return await task;
    }
}
