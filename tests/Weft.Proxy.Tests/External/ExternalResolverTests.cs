using System.Net;
using Microsoft.Extensions.Time.Testing;
using Weft.Proxy.External;

namespace Weft.Proxy.Tests.External;

/// <summary>
/// Issue 17: an XBackend's host name "resolves through DNS at run time (cached within the record's TTL, re-resolved on
/// failure)". Each test asks a <see cref="FakeNameserver"/> on loopback and counts its queries; time is a fake clock.
/// </summary>
public sealed class ExternalResolverTests
{
    private const string Api = "api.example.com";

    private static readonly IReadOnlyDictionary<string, IReadOnlyList<IPAddress>> NoTable = new Dictionary<string, IReadOnlyList<IPAddress>>();

    private readonly FakeTimeProvider _time = new();

    private ExternalResolver Resolver(params FakeNameserver[] nameservers) => new(NoTable, [.. nameservers.Select(n => n.EndPoint)], _time);

    /// <summary>After one query, the answer is kept for <paramref name="seconds"/>: no query a second before, a second one then.</summary>
    private async Task AssertKeptForAsync(ExternalResolver resolver, FakeNameserver dns, int seconds)
    {
        _time.Advance(TimeSpan.FromSeconds(seconds - 1));
        await Resolve(resolver, Api);
        Assert.Equal(1, dns.Queries);

        _time.Advance(TimeSpan.FromSeconds(1));
        await Resolve(resolver, Api);
        Assert.Equal(2, dns.Queries);
    }

    private static async Task<IReadOnlyList<IPAddress>> Resolve(ExternalResolver resolver, string name) =>
        await Eventually.ResultAsync(resolver.ResolveAsync(name, CancellationToken.None).AsTask(), $"resolving {name}");

    private static async Task<ExternalResolutionException> Failure(ExternalResolver resolver, string name) =>
        await Assert.ThrowsAsync<ExternalResolutionException>(() => Resolve(resolver, name));

    private static IPAddress[] Addresses(params string[] addresses) => [.. addresses.Select(IPAddress.Parse)];

    [Fact]
    public async Task Answer_cached_within_ttl()
    {
        await using var dns = FakeNameserver.Start(q => q.Answer(FakeRecord.A(q.Name, "127.1.0.1", 60), FakeRecord.A(q.Name, "127.1.0.2", 60)));
        var resolver = Resolver(dns);

        Assert.Equal(Addresses("127.1.0.1", "127.1.0.2"), await Resolve(resolver, Api));
        _time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(Addresses("127.1.0.1", "127.1.0.2"), await Resolve(resolver, "API.Example.com."));

        Assert.Equal(1, dns.Queries);
    }

    [Fact]
    public async Task Answer_requeried_after_ttl()
    {
        var address = "127.1.0.1";
        await using var dns = FakeNameserver.Start(q => q.Answer(FakeRecord.A(q.Name, address, 60)));
        var resolver = Resolver(dns);
        await Resolve(resolver, Api);

        address = "127.1.0.2";
        _time.Advance(TimeSpan.FromSeconds(60));

        Assert.Equal(Addresses("127.1.0.2"), await Resolve(resolver, Api));
        Assert.Equal(2, dns.Queries);
    }

    [Theory]
    [InlineData(0u, 5)]
    [InlineData(1u, 5)]
    [InlineData(30u, 30)]
    [InlineData(300u, 300)]
    [InlineData(86_400u, 300)]
    [InlineData(0x8000_0000u, 5)] // RFC 2181 8: the top bit set reads as 0
    public async Task Ttl_clamped_to_floor_and_ceiling(uint ttl, int keptSeconds)
    {
        await using var dns = FakeNameserver.Start(q => q.Answer(FakeRecord.A(q.Name, "127.1.0.1", ttl)));
        var resolver = Resolver(dns);
        await Resolve(resolver, Api);

        await AssertKeptForAsync(resolver, dns, keptSeconds);
    }

    [Fact]
    public async Task Static_table_wins_and_never_queries()
    {
        await using var dns = FakeNameserver.Start(q => q.Answer(FakeRecord.A(q.Name, "127.1.0.1", 60)));
        var table = new Dictionary<string, IReadOnlyList<IPAddress>> { ["API.example.com."] = Addresses("127.2.0.1", "127.2.0.2") };
        var resolver = new ExternalResolver(table, [dns.EndPoint], _time);

        Assert.Equal(Addresses("127.2.0.1", "127.2.0.2"), await Resolve(resolver, Api));
        resolver.Forget(Api);
        _time.Advance(TimeSpan.FromDays(1));
        Assert.Equal(Addresses("127.2.0.1", "127.2.0.2"), await Resolve(resolver, "api.EXAMPLE.com"));

        Assert.Equal(0, dns.Queries);
    }

    [Fact]
    public async Task Forget_requeries()
    {
        await using var dns = FakeNameserver.Start(q => q.Answer(FakeRecord.A(q.Name, "127.1.0.1", 300)));
        var resolver = Resolver(dns);
        await Resolve(resolver, Api);
        await Resolve(resolver, Api);
        Assert.Equal(1, dns.Queries);

        resolver.Forget("Api.Example.Com.");
        await Resolve(resolver, Api);

        Assert.Equal(2, dns.Queries);
    }

    [Fact]
    public async Task Concurrent_lookups_share_one_query()
    {
        await using var dns = FakeNameserver.Start(q => q.Answer(FakeRecord.A(q.Name, "127.1.0.1", 60)));
        dns.Hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var resolver = Resolver(dns);

        var lookups = Enumerable.Range(0, 50).Select(i => resolver.ResolveAsync(i % 2 == 0 ? Api : "API.example.com.", CancellationToken.None).AsTask()).ToList();
        await Eventually.TrueAsync(() => dns.Queries == 1, "the query reached the nameserver");
        dns.Hold.SetResult();
        var answers = await Eventually.ResultAsync(Task.WhenAll(lookups), "every look-up answered");

        Assert.All(answers, a => Assert.Equal(Addresses("127.1.0.1"), a));
        Assert.Equal(1, dns.Queries);
    }

    [Fact]
    public async Task A_caller_giving_up_does_not_cancel_the_query_others_share()
    {
        await using var dns = FakeNameserver.Start(q => q.Answer(FakeRecord.A(q.Name, "127.1.0.1", 60)));
        dns.Hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var resolver = Resolver(dns);
        using var impatient = new CancellationTokenSource();

        var abandoned = resolver.ResolveAsync(Api, impatient.Token).AsTask();
        var waiting = resolver.ResolveAsync(Api, CancellationToken.None).AsTask();
        await impatient.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);
        dns.Hold.SetResult();

        Assert.Equal(Addresses("127.1.0.1"), await Eventually.ResultAsync(waiting, "the other look-up answered"));
        Assert.Equal(1, dns.Queries);
    }

    [Fact]
    public async Task Nxdomain_is_a_clear_error_and_cached_briefly()
    {
        await using var dns = FakeNameserver.Start(q => q.Fail(FakeQuery.NameError));
        var resolver = Resolver(dns);

        var error = await Failure(resolver, "nosuch.example.com");
        Assert.Equal("cannot resolve nosuch.example.com: NXDOMAIN (no such name)", error.Message);
        _time.Advance(TimeSpan.FromSeconds(4));
        await Failure(resolver, "nosuch.example.com");
        Assert.Equal(1, dns.Queries);

        _time.Advance(TimeSpan.FromSeconds(1));
        await Failure(resolver, "nosuch.example.com");
        Assert.Equal(2, dns.Queries);
    }

    [Fact]
    public async Task No_A_records_is_a_clear_error_and_cached_briefly()
    {
        await using var dns = FakeNameserver.Start(q => q.Answer(FakeRecord.A("elsewhere.example.com", "127.1.0.9", 60)));
        var resolver = Resolver(dns);

        Assert.Equal("cannot resolve api.example.com: no A records", (await Failure(resolver, Api)).Message);
        await Failure(resolver, Api);

        Assert.Equal(1, dns.Queries);
    }

    [Fact]
    public async Task Cname_chain_followed()
    {
        await using var dns = FakeNameserver.Start(q => q.Answer(
            FakeRecord.Cname(q.Name, "edge.cdn.example.net", 120),
            FakeRecord.Cname("edge.cdn.example.net", "pop7.cdn.example.net", 30),
            FakeRecord.A("pop7.cdn.example.net", "127.1.0.7", 120),
            FakeRecord.A("other.cdn.example.net", "127.1.0.8", 120),
            FakeRecord.A("pop7.cdn.example.net", "127.1.0.9", 120)));
        var resolver = Resolver(dns);

        Assert.Equal(Addresses("127.1.0.7", "127.1.0.9"), await Resolve(resolver, Api));

        // The answer lasts as long as its shortest link: the second CNAME's 30 s.
        await AssertKeptForAsync(resolver, dns, 30);
    }

    [Fact]
    public async Task Mismatched_reply_id_ignored()
    {
        await using var dns = FakeNameserver.Start(q => new[]
        {
            (q with { Id = (ushort)(q.Id + 1) }).Answer(FakeRecord.A(q.Name, "127.6.6.6", 300)),
            q.Asking("evil.example.com").Answer(FakeRecord.A("evil.example.com", "127.6.6.7", 300)),
            q.Answer(FakeRecord.A(q.Name, "127.1.0.1", 60)),
        });
        var resolver = Resolver(dns);

        Assert.Equal(Addresses("127.1.0.1"), await Resolve(resolver, Api));
    }

    [Fact]
    public async Task Next_nameserver_after_timeout()
    {
        await using var silent = FakeNameserver.Silent();
        await using var dns = FakeNameserver.Start(q => q.Answer(FakeRecord.A(q.Name, "127.1.0.1", 60)));
        var resolver = Resolver(silent, dns);

        var lookup = resolver.ResolveAsync(Api, CancellationToken.None).AsTask();
        await Eventually.TrueAsync(() => silent.Queries == 1, "the first nameserver was asked");
        Assert.False(lookup.IsCompleted);
        _time.Advance(ExternalResolver.QueryTimeout);

        Assert.Equal(Addresses("127.1.0.1"), await Eventually.ResultAsync(lookup, "the second nameserver answered"));
        Assert.Equal((1, 1), (silent.Queries, dns.Queries));
    }

    [Fact]
    public async Task Next_nameserver_after_servfail()
    {
        await using var failing = FakeNameserver.Start(q => q.Fail(FakeQuery.ServerFailure));
        await using var dns = FakeNameserver.Start(q => q.Answer(FakeRecord.A(q.Name, "127.1.0.1", 60)));
        var resolver = Resolver(failing, dns);

        Assert.Equal(Addresses("127.1.0.1"), await Resolve(resolver, Api));
        Assert.Equal((1, 1), (failing.Queries, dns.Queries));
    }

    [Fact]
    public async Task Every_nameserver_failing_is_a_clear_error_and_not_cached()
    {
        await using var silent = FakeNameserver.Silent();
        await using var failing = FakeNameserver.Start(q => q.Fail(FakeQuery.ServerFailure));
        var resolver = Resolver(silent, failing);

        var lookup = Failure(resolver, Api);
        await Eventually.TrueAsync(() => silent.Queries == 1, "the first nameserver was asked");
        _time.Advance(ExternalResolver.QueryTimeout);
        var error = await lookup;

        Assert.Equal($"cannot resolve api.example.com: no nameserver answered ({silent.EndPoint} did not answer within 2 s; {failing.EndPoint}: SERVFAIL)", error.Message);
        var again = Failure(resolver, Api);
        await Eventually.TrueAsync(() => silent.Queries == 2, "the next look-up asked again");
        _time.Advance(ExternalResolver.QueryTimeout);
        await again;
    }

    [Fact]
    public async Task No_nameserver_is_a_clear_error()
    {
        var resolver = new ExternalResolver(NoTable, [], _time);

        Assert.Equal($"cannot resolve api.example.com: no nameserver to ask (--nameservers none, or none in /etc/resolv.conf) and no --resolve entry", (await Failure(resolver, Api)).Message);
    }

    [Fact]
    public async Task Truncated_answer_asked_again_over_tcp()
    {
        var many = Enumerable.Range(1, 40).Select(i => $"127.1.0.{i}").ToArray();
        await using var dns = FakeNameserver.Start(q => q.OverTcp ? q.Answer([.. many.Select(a => FakeRecord.A(q.Name, a, 60))]) : q.Truncated());
        var resolver = Resolver(dns);

        Assert.Equal(Addresses(many), await Resolve(resolver, Api));
        Assert.Equal((1, 1), (dns.Queries, dns.TcpQueries));
    }

    [Theory]
    [InlineData("127.0.0.9")]
    [InlineData("::1")]
    [InlineData("fd00::7")]
    public async Task Ip_literal_resolves_to_itself(string literal)
    {
        await using var dns = FakeNameserver.Start(q => q.Answer(FakeRecord.A(q.Name, "127.1.0.1", 60)));
        var resolver = Resolver(dns);

        Assert.Equal(Addresses(literal), await Resolve(resolver, literal));
        Assert.Equal(0, dns.Queries);
    }

    [Theory]
    [InlineData("a..example.com")]
    [InlineData("white space.example.com")]
    public async Task A_name_dns_cannot_ask_for_is_a_clear_error(string name)
    {
        await using var dns = FakeNameserver.Start(q => q.Answer(FakeRecord.A(q.Name, "127.1.0.1", 60)));

        Assert.Contains("not a host name", (await Failure(Resolver(dns), name)).Message, StringComparison.Ordinal);
        Assert.Equal(0, dns.Queries);
    }

    [Fact]
    public async Task Cache_is_bounded()
    {
        await using var dns = FakeNameserver.Start(q => q.Answer(FakeRecord.A(q.Name, "127.1.0.1", 60)));
        var resolver = new ExternalResolver(NoTable, [dns.EndPoint], _time, cacheLimit: 3);

        foreach (var name in Enumerable.Range(0, 10).Select(i => $"host{i}.example.com"))
        {
            await Resolve(resolver, name);
            Assert.True(resolver.CachedNames <= 3, $"{resolver.CachedNames} names cached");
        }

        await Resolve(resolver, "host9.example.com");
        Assert.Equal(10, dns.Queries);
    }

    [Fact]
    public async Task Names_asked_for_at_once_are_bounded_and_a_name_already_asked_for_joins_its_query()
    {
        await using var silent = FakeNameserver.Silent();
        var resolver = new ExternalResolver(NoTable, [silent.EndPoint], _time, cacheLimit: 100, maxQueries: 3);
        var pending = Enumerable.Range(0, 3).Select(i => resolver.ResolveAsync($"host{i}.example.com", CancellationToken.None).AsTask()).ToList();
        await Eventually.TrueAsync(() => silent.Queries == 3, "three names asked for");

        var refused = await Failure(resolver, "host3.example.com");
        await Failure(resolver, "host4.example.com");
        var joined = resolver.ResolveAsync("HOST0.example.com.", CancellationToken.None).AsTask();

        Assert.Equal("this sidecar is already asking DNS for 3 other names; try again", refused.Reason);
        Assert.False(joined.IsCompleted);
        Assert.Equal(3, silent.Queries);

        // The three time out. The refusals were not remembered and took no place: three names are asked for again,
        // the refused one among them.
        _time.Advance(ExternalResolver.QueryTimeout);
        await AllFailAsync(pending.Append(joined));
        var again = Enumerable.Range(3, 3).Select(i => resolver.ResolveAsync($"host{i * 2 - 3}.example.com", CancellationToken.None).AsTask()).ToList(); // 3, 5, 7
        await Eventually.TrueAsync(() => silent.Queries == 6, "three more names asked for once the others were done");
        _time.Advance(ExternalResolver.QueryTimeout);
        await AllFailAsync(again);
    }

    private static async Task AllFailAsync(IEnumerable<Task<IReadOnlyList<IPAddress>>> lookups)
    {
        foreach (var lookup in lookups)
        {
            await Assert.ThrowsAsync<ExternalResolutionException>(() => Eventually.ResultAsync(lookup, "a look-up that timed out"));
        }
    }

    [Fact]
    public void Nameservers_are_the_nameserver_lines_of_resolv_conf()
    {
        const string ResolvConfText = "# nameserver 127.9.9.9\nsearch example.com\nnameserver 127.0.0.53\nnameserver\tfd00::53 # the IPv6 one\nnameserver bogus\noptions ndots:5\n";

        Assert.Equal(
            [new IPEndPoint(IPAddress.Parse("127.0.0.53"), 53), new IPEndPoint(IPAddress.Parse("fd00::53"), 53)],
            ResolvConf.Nameservers(ResolvConfText));
        Assert.Empty(ResolvConf.Nameservers("search example.com\n"));
    }
}
