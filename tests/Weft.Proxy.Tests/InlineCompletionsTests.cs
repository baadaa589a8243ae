namespace Weft.Proxy.Tests;

/// <summary>The sidecar's default for inline socket completions, and the environment's word over it.</summary>
public sealed class InlineCompletionsTests
{
    [Fact]
    public void An_operator_who_turned_inline_completions_off_keeps_them_off()
    {
        var before = Environment.GetEnvironmentVariable(InlineCompletions.Variable);
        try
        {
            // "0" only: this test process's Kestrel hosts read Enabled, and they run with it off (unset) already.
            Environment.SetEnvironmentVariable(InlineCompletions.Variable, "0");
            InlineCompletions.PreferUnlessSet();
            Assert.Equal("0", Environment.GetEnvironmentVariable(InlineCompletions.Variable));
            Assert.False(InlineCompletions.Enabled);
        }
        finally
        {
            Environment.SetEnvironmentVariable(InlineCompletions.Variable, before);
        }
    }
}
