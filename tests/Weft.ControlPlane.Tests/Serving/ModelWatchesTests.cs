using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Weft.Api.Model;
using Weft.ControlPlane.Objects;
using Weft.ControlPlane.Serving;
using Weft.ControlPlane.Translation;
using Weft.Discovery.V1;

namespace Weft.ControlPlane.Tests.Serving;

/// <summary>One loop evaluates every discovery stream's watch per published model and wakes only those with a new answer.</summary>
public sealed class ModelWatchesTests : IAsyncLifetime
{
    private readonly ObjectStore _store = new();
    private readonly Translator _translator;
    private readonly ModelWatches _watches;
    private readonly CancellationTokenSource _deadline = new(TimeSpan.FromSeconds(20));
    private int _namespaces;

    public ModelWatchesTests()
    {
        _translator = new Translator(_store, NullLogger.Instance) { Debounce = TimeSpan.Zero };
        _watches = new ModelWatches(_translator, NullLogger<ModelWatches>.Instance);
    }

    public async Task InitializeAsync()
    {
        _translator.Start();
        await _watches.StartAsync(_deadline.Token);
    }

    public async Task DisposeAsync()
    {
        await _watches.StopAsync(CancellationToken.None);
        _watches.Dispose();
        await _translator.DisposeAsync();
        _deadline.Dispose();
    }

    [Fact]
    public async Task A_watch_answers_the_newest_model_at_once_then_each_later_model_once()
    {
        var calls = new List<int>();
        var progress = Progress();
        using var watch = _watches.Add(_ => { calls.Add(0); return Answer($"{calls.Count}"); }, progress);
        var first = await watch.ReadAsync(_deadline.Token);
        Assert.Equal("1", Json(first.Answer));
        Assert.Equal(_translator.Current.Version, first.Version);
        watch.Handled();

        var published = await PublishAsync();
        var second = await watch.ReadAsync(_deadline.Token);
        Assert.Equal("2", Json(second.Answer));
        Assert.Equal(published, second.Version);
        watch.Handled();
        Assert.Equal(published, progress.ToProto().EvaluatedVersion);
        Assert.Equal(2, calls.Count);
    }

    [Fact]
    public async Task A_model_published_before_the_loop_starts_reaches_the_watches_added_before_it()
    {
        // The host may start the loop after models were published (.NET runs ExecuteAsync in the background).
        using var late = new ModelWatches(_translator, NullLogger<ModelWatches>.Instance);
        var n = 0;
        using var watch = late.Add(_ => Answer($"{++n}"), Progress());
        await watch.ReadAsync(_deadline.Token);
        var published = await PublishAsync();

        await late.StartAsync(_deadline.Token);
        try
        {
            Assert.Equal(published, (await watch.ReadAsync(_deadline.Token)).Version);
        }
        finally
        {
            await late.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task Only_a_watch_whose_answer_changed_is_woken()
    {
        var n = 0;
        using var changing = _watches.Add(_ => Answer($"{++n}"), Progress());
        var quietProgress = Progress();
        var quietCalls = 0;
        using var quiet = _watches.Add(_ => ++quietCalls == 1 ? Answer("same") : null, quietProgress);
        await changing.ReadAsync(_deadline.Token);
        await quiet.ReadAsync(_deadline.Token);
        quiet.Handled();

        var published = await PublishAsync();
        Assert.Equal(published, (await changing.ReadAsync(_deadline.Token)).Version);
        await WaitAsync(() => quiet.EvaluatedVersion == published);
        Assert.Equal(published, quietProgress.ToProto().EvaluatedVersion);
        var read = quiet.ReadAsync(_deadline.Token).AsTask();
        Assert.False(read.IsCompleted);
    }

    [Fact]
    public async Task A_version_is_reported_evaluated_only_once_the_stream_has_handled_every_answer_up_to_it()
    {
        // discovery.proto: a stream whose evaluated version is the model's has been sent all that model asks for.
        var progress = Progress();
        var n = 0;
        var quiet = false;
        using var watch = _watches.Add(_ => Volatile.Read(ref quiet) ? null : Answer($"{++n}"), progress);
        var first = await watch.ReadAsync(_deadline.Token);
        Assert.Equal(0ul, progress.ToProto().EvaluatedVersion);
        watch.Handled();
        Assert.Equal(first.Version, progress.ToProto().EvaluatedVersion);

        // An answer for the next model waits: that model is evaluated, not yet reported.
        var second = await PublishAsync();
        await WaitAsync(() => watch.EvaluatedVersion == second);
        Assert.Equal(first.Version, progress.ToProto().EvaluatedVersion);

        // A model with nothing new to send, while that answer still waits: still not reported.
        Volatile.Write(ref quiet, true);
        var third = await PublishAsync();
        await WaitAsync(() => watch.EvaluatedVersion == third);
        Assert.Equal(first.Version, progress.ToProto().EvaluatedVersion);

        Assert.Equal(second, (await watch.ReadAsync(_deadline.Token)).Version);
        watch.Handled();
        Assert.Equal(third, progress.ToProto().EvaluatedVersion);
    }

    [Fact]
    public async Task A_reader_that_falls_behind_gets_the_newest_answer_and_not_the_ones_before_it()
    {
        var progress = Progress();
        var n = 0;
        using var watch = _watches.Add(_ => Answer($"{++n}"), progress);
        ulong last = 0;
        for (var i = 0; i < 3; i++)
        {
            last = await PublishAsync();
        }

        await WaitAsync(() => watch.EvaluatedVersion == last);
        var read = await watch.ReadAsync(_deadline.Token);
        Assert.Equal(last, read.Version);
        Assert.Equal($"{n}", Json(read.Answer));
        Assert.False(watch.ReadAsync(_deadline.Token).AsTask().IsCompleted);
    }

    [Fact]
    public async Task A_watch_that_throws_does_not_stop_the_others()
    {
        var throwing = 0;
        using var broken = _watches.Add(m => ++throwing > 1 ? throw new InvalidOperationException("boom") : Answer("x"), Progress());
        var n = 0;
        using var healthy = _watches.Add(_ => Answer($"{++n}"), Progress());
        await healthy.ReadAsync(_deadline.Token);

        for (var i = 0; i < 2; i++)
        {
            var published = await PublishAsync();
            Assert.Equal(published, (await healthy.ReadAsync(_deadline.Token)).Version);
        }

        Assert.True(throwing >= 3);
    }

    [Fact]
    public async Task A_disposed_watch_is_no_longer_evaluated()
    {
        var calls = 0;
        var watch = _watches.Add(_ => { Interlocked.Increment(ref calls); return null; }, Progress());
        var n = 0;
        using var other = _watches.Add(_ => Answer($"{++n}"), Progress());
        Assert.Equal(2, _watches.Count);
        watch.Dispose();
        Assert.Equal(1, _watches.Count);

        var published = await PublishAsync();
        while ((await other.ReadAsync(_deadline.Token)).Version < published)
        {
        }

        Assert.Equal(1, calls);
    }

    private static SubscriptionRegistry.InboundStream Progress() => new("ns/pod") { Id = 1 };

    private static WatchAnswer Answer(string json) => new(DestinationStatus.Found, Encoding.UTF8.GetBytes(json));

    private static string Json(WatchAnswer answer) => Encoding.UTF8.GetString(answer.Json);

    /// <summary>Adds a namespace and waits until a model with it is published; its version.</summary>
    private async Task<ulong> PublishAsync()
    {
        var objects = Enumerable.Range(0, ++_namespaces).Select(i => (KubeObject)new Namespace { ApiVersion = "v1", Metadata = new ObjectMeta { Name = $"ns{i}" } }).ToList();
        var version = _store.Replace("test", objects);
        await _translator.WaitForStoreVersionAsync(version, _deadline.Token);
        return _translator.Current.Version;
    }

    private async Task WaitAsync(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "the condition did not hold within 10 s");
            await Task.Delay(5, _deadline.Token);
        }
    }
}
