using Microsoft.Extensions.Logging.Abstractions;
using Weft.Api.Model;
using Weft.ControlPlane.Objects;
using Weft.ControlPlane.Tests.Support;
using Weft.ControlPlane.Translation;

namespace Weft.ControlPlane.Tests.Translation;

public sealed class TranslatorTests
{
    private static Namespace Ns(string name) => new() { ApiVersion = "v1", Metadata = new ObjectMeta { Name = name } };

    [Fact]
    public async Task Change_after_a_quiet_period_is_built_at_once_and_a_burst_is_coalesced_until_the_debounce_passes()
    {
        var time = FakeClock.AtNow();
        var store = new ObjectStore();
        await using var translator = new Translator(store, NullLogger.Instance, time) { Debounce = TimeSpan.FromHours(1) };
        translator.Start();
        time.Advance(TimeSpan.FromHours(2));
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        // Leading edge: no waiting for the debounce after a quiet period.
        var first = store.Replace("test", [Ns("a")]);
        await translator.WaitForStoreVersionAsync(first, deadline.Token);
        var builtFirst = translator.Current.Version;

        // Within the debounce of that build: coalesced, built only once the debounce has passed.
        store.Replace("test", [Ns("a"), Ns("b")]);
        var third = store.Replace("test", [Ns("a"), Ns("b"), Ns("c")]);
        var pending = translator.WaitForStoreVersionAsync(third, deadline.Token);
        Assert.False(pending.IsCompleted);
        Assert.Equal(builtFirst, translator.Current.Version);

        while (!pending.IsCompleted)
        {
            time.Advance(TimeSpan.FromMinutes(10));
            await Task.WhenAny(pending, Task.Delay(TimeSpan.FromMilliseconds(20), deadline.Token));
        }

        await pending;
        Assert.Equal(builtFirst + 1, translator.Current.Version);
    }
}
