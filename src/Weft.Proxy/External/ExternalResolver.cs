using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Weft.Proxy.External;

/// <summary>
/// The addresses of an external host name, an <c>XBackend</c>'s (issue 17): it "resolves through DNS at run time (cached
/// within the record's TTL, re-resolved on failure)". The static table (<c>--resolve</c>) wins and never expires; else a
/// cached answer while its TTL lasts; else a query for A records over UDP to each nameserver in turn, the next one after a
/// timeout, SERVFAIL or REFUSED, over TCP when the answer is truncated. Concurrent look-ups of one name share one query, and
/// a negative answer is cached briefly, so a storm of requests is not a storm of queries. Choosing among the addresses is
/// the caller's. Not <see cref="Dns.GetHostAddressesAsync(string)"/>: getaddrinfo hides the TTL.
/// </summary>
internal sealed class ExternalResolver
{
    public const int DefaultCacheLimit = 10_000;

    /// <summary>
    /// The most names asked for at once. Each holds a socket and a 64 KB buffer for up to <see cref="QueryTimeout"/> per
    /// nameserver, and with the allow-any outbound policy the app chooses the names: without a bound, one dialing made-up
    /// hosts behind a silent nameserver would take its sidecar's descriptors and memory. 64 fits in the descriptors the
    /// connection limits leave (<see cref="ProcessHardening.ReservedDescriptors"/>). A look-up of another name beyond it
    /// fails at once, and is not remembered; one of a name already asked for joins that query.
    /// </summary>
    public const int DefaultMaxQueries = 64;

    /// <summary>An answer is kept at least this long, whatever its TTL, so a TTL of 0 does not mean a query per request.</summary>
    public static readonly TimeSpan MinTtl = TimeSpan.FromSeconds(5);

    /// <summary>An answer is kept at most this long, so a moved service is followed within minutes whatever its TTL.</summary>
    public static readonly TimeSpan MaxTtl = TimeSpan.FromMinutes(5);

    /// <summary>How long NXDOMAIN or an answer without A records is kept.</summary>
    public static readonly TimeSpan NegativeTtl = TimeSpan.FromSeconds(5);

    /// <summary>How long one nameserver has to answer (glibc's resolver waits 5 s; a request is waiting here).</summary>
    public static readonly TimeSpan QueryTimeout = TimeSpan.FromSeconds(2);

    private readonly FrozenDictionary<string, IReadOnlyList<IPAddress>> _table;
    private readonly IReadOnlyList<IPEndPoint> _nameservers;
    private readonly TimeProvider _time;
    private readonly int _cacheLimit;
    private readonly int _maxQueries;
    private int _queriesInFlight;
    private readonly ConcurrentDictionary<string, Answer> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task<Answer>> _queries = new(StringComparer.Ordinal);

    public ExternalResolver(IReadOnlyDictionary<string, IReadOnlyList<IPAddress>> staticTable, IReadOnlyList<IPEndPoint> nameservers, TimeProvider time)
        : this(staticTable, nameservers, time, DefaultCacheLimit)
    {
    }

    internal ExternalResolver(IReadOnlyDictionary<string, IReadOnlyList<IPAddress>> staticTable, IReadOnlyList<IPEndPoint> nameservers, TimeProvider time, int cacheLimit, int maxQueries = DefaultMaxQueries)
    {
        ArgumentNullException.ThrowIfNull(staticTable);
        ArgumentNullException.ThrowIfNull(nameservers);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThan(cacheLimit, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxQueries, 1);
        _maxQueries = maxQueries;
        var table = new Dictionary<string, IReadOnlyList<IPAddress>>(StringComparer.Ordinal);
        foreach (var (name, addresses) in staticTable)
        {
            if (addresses.Count == 0)
            {
                throw new ArgumentException($"the static table gives {name} no address", nameof(staticTable));
            }

            table[Normalize(name)] = [.. addresses];
        }

        _table = table.ToFrozenDictionary(StringComparer.Ordinal);
        _nameservers = [.. nameservers];
        _time = time;
        _cacheLimit = cacheLimit;
    }

    /// <summary>A resolver asking the nameservers of <c>/etc/resolv.conf</c>; with none, every name outside the table fails.</summary>
    public static ExternalResolver FromSystem(IReadOnlyDictionary<string, IReadOnlyList<IPAddress>> staticTable, TimeProvider time) =>
        new(staticTable, ResolvConf.SystemNameservers(), time);

    /// <summary>Whether <paramref name="hostname"/>'s addresses come from the static table (<c>--resolve</c>, the operator's), not DNS.</summary>
    public bool IsFixed(string hostname) => _table.ContainsKey(Normalize(hostname));

    /// <summary>How many names the cache holds (tests).</summary>
    internal int CachedNames => _cache.Count;

    /// <summary>
    /// The addresses of <paramref name="hostname"/> (case and a trailing dot ignored); an IP literal is itself. Fails with
    /// <see cref="ExternalResolutionException"/> when it has none.
    /// </summary>
    public ValueTask<IReadOnlyList<IPAddress>> ResolveAsync(string hostname, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(hostname);
        if (TryParseLiteral(hostname, out var literal))
        {
            return ValueTask.FromResult<IReadOnlyList<IPAddress>>([literal]);
        }

        var name = Normalize(hostname);
        if (_table.TryGetValue(name, out var fixedAddresses))
        {
            return ValueTask.FromResult(fixedAddresses);
        }

        if (_cache.TryGetValue(name, out var cached) && IsFresh(cached))
        {
            return cached.Addresses is { } addresses
                ? ValueTask.FromResult(addresses)
                : ValueTask.FromException<IReadOnlyList<IPAddress>>(new ExternalResolutionException(name, cached.Failure!));
        }

        return new ValueTask<IReadOnlyList<IPAddress>>(ResolveSharedAsync(name, ct));
    }

    /// <summary>
    /// Every address of <paramref name="hostname"/> failed to connect: its cached answer is dropped, so the next look-up asks
    /// again (the answer may have moved within its TTL). The static table is not a cache and stays.
    /// </summary>
    public void Forget(string hostname)
    {
        ArgumentNullException.ThrowIfNull(hostname);
        _cache.TryRemove(Normalize(hostname), out _);
    }

    /// <summary>A host name as the table and the cache key it: lower case, without a trailing dot.</summary>
    internal static string Normalize(string hostname) =>
        (hostname.EndsWith('.') ? hostname[..^1] : hostname).ToLowerInvariant();

    /// <summary>An IPv6 address, or an IPv4 one in dotted-quad form (not <c>10</c> or <c>10.1</c>, which IPAddress also reads).</summary>
    internal static bool TryParseLiteral(string hostname, [NotNullWhen(true)] out IPAddress? address) =>
        IPAddress.TryParse(hostname, out address)
        && (address.AddressFamily == AddressFamily.InterNetworkV6 || hostname.AsSpan().Count('.') == 3);

    private bool IsFresh(Answer answer) => _time.GetElapsedTime(answer.StoredAt) < answer.Ttl;

    private async Task<IReadOnlyList<IPAddress>> ResolveSharedAsync(string name, CancellationToken ct)
    {
        var mine = new TaskCompletionSource<Answer>(TaskCreationOptions.RunContinuationsAsynchronously);
        var shared = _queries.GetOrAdd(name, mine.Task);
        if (shared == mine.Task)
        {
            if (!TryStartQuery())
            {
                // Not cached: the next look-up of the name asks, once fewer are in flight. Who joined meanwhile fails too.
                _queries.TryRemove(KeyValuePair.Create(name, mine.Task));
                mine.SetResult(Answer.Failed($"this sidecar is already asking DNS for {_maxQueries} other names; try again", TimeSpan.Zero, _time));
            }
            else
            {
                _ = AnswerAsync(name, mine); // the query outlives this caller's cancellation: others may share it
            }
        }

        var answer = await shared.WaitAsync(ct).ConfigureAwait(false);
        return answer.Addresses ?? throw new ExternalResolutionException(name, answer.Failure!);
    }

    /// <summary>Counts a query in, unless <see cref="DefaultMaxQueries"/> (as given) are in flight already.</summary>
    private bool TryStartQuery()
    {
        var current = Volatile.Read(ref _queriesInFlight);
        while (current < _maxQueries)
        {
            var seen = Interlocked.CompareExchange(ref _queriesInFlight, current + 1, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }

        return false;
    }

    /// <summary>Asks for <paramref name="name"/> once for every caller waiting on <paramref name="completion"/>; never throws.</summary>
    private async Task AnswerAsync(string name, TaskCompletionSource<Answer> completion)
    {
        Answer answer;
        try
        {
            // An answer stored between the caller's look-up in the cache and its query joining the shared ones.
            answer = _cache.TryGetValue(name, out var cached) && IsFresh(cached) ? cached : await QueryAsync(name).ConfigureAwait(false);
            if (answer.Ttl > TimeSpan.Zero)
            {
                Store(name, answer);
            }
        }
        catch (Exception e) // every caller waits on this completion: any failure must reach them, not an unobserved task
        {
            answer = Answer.Failed(e.Message, TimeSpan.Zero, _time);
        }

        _queries.TryRemove(KeyValuePair.Create(name, completion.Task));
        Interlocked.Decrement(ref _queriesInFlight);
        completion.SetResult(answer);
    }

    private async Task<Answer> QueryAsync(string name)
    {
        if (_nameservers.Count == 0)
        {
            return Answer.Failed($"no nameserver to ask (--nameservers none, or none in {ResolvConf.SystemPath}) and no --resolve entry", TimeSpan.Zero, _time);
        }

        if (DnsQuery.ForAddresses(0, name) is null)
        {
            return Answer.Failed("not a host name DNS can ask for", TimeSpan.Zero, _time);
        }

        var failures = new List<string>(_nameservers.Count);
        foreach (var nameserver in _nameservers)
        {
            DnsResponse? response;
            try
            {
                response = await AskOverUdpAsync(nameserver, name).ConfigureAwait(false);
                if (response is { Truncated: true })
                {
                    response = await AskOverTcpAsync(nameserver, name).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is SocketException or IOException)
            {
                failures.Add($"{nameserver}: {(e is SocketException s ? s.SocketErrorCode.ToString() : e.Message)}");
                continue;
            }
            switch (response)
            {
                case null:
                    failures.Add($"{nameserver} did not answer within {QueryTimeout.TotalSeconds:0.#} s");
                    break;
                case { ResponseCode: DnsWire.NoError, Addresses.Count: > 0 }:
                    return Answer.Resolved(response.Addresses, Clamp(response.Ttl), _time);
                case { ResponseCode: DnsWire.NoError, Truncated: false }:
                    return Answer.Failed("no A records", NegativeTtl, _time);
                case { ResponseCode: DnsWire.NameError }:
                    return Answer.Failed("NXDOMAIN (no such name)", NegativeTtl, _time);
                case { Truncated: true }:
                    failures.Add($"{nameserver}: truncated over TCP too");
                    break;
                default:
                    failures.Add($"{nameserver}: {DnsWire.ResponseCodeName(response.ResponseCode)}");
                    break;
            }
        }

        return Answer.Failed($"no nameserver answered ({string.Join("; ", failures)})", TimeSpan.Zero, _time);
    }

    /// <summary>
    /// One query over UDP from a socket of its own (a fresh source port) connected to the nameserver, so the kernel drops
    /// datagrams from anyone else; a reply with another ID or question is ignored and the wait goes on. Null on timeout.
    /// </summary>
    private async Task<DnsResponse?> AskOverUdpAsync(IPEndPoint nameserver, string name)
    {
        var id = NewId();
        var query = DnsQuery.ForAddresses(id, name)!; // QueryAsync checked the name
        using var socket = new Socket(nameserver.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        using var timeout = new CancellationTokenSource(QueryTimeout, _time);
        var buffer = ArrayPool<byte>.Shared.Rent(DnsWire.MaxTcpLength); // whatever a nameserver sends, whole
        try
        {
            await socket.ConnectAsync(nameserver, timeout.Token).ConfigureAwait(false);
            await socket.SendAsync(query, SocketFlags.None, timeout.Token).ConfigureAwait(false);
            while (true)
            {
                var received = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token).ConfigureAwait(false);
                if (DnsResponse.TryRead(buffer.AsSpan(0, received), id, name, out var response))
                {
                    return response;
                }
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            return null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The query again over TCP (RFC 1035 4.2.2: each message behind a 2-byte length), for an answer too big for UDP. Null on timeout.</summary>
    private async Task<DnsResponse?> AskOverTcpAsync(IPEndPoint nameserver, string name)
    {
        var id = NewId();
        var query = DnsQuery.ForAddresses(id, name)!; // QueryAsync checked the name
        using var socket = new Socket(nameserver.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var timeout = new CancellationTokenSource(QueryTimeout, _time);
        try
        {
            await socket.ConnectAsync(nameserver, timeout.Token).ConfigureAwait(false);
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            var framed = new byte[2 + query.Length];
            BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)query.Length);
            query.CopyTo(framed, 2);
            await stream.WriteAsync(framed, timeout.Token).ConfigureAwait(false);
            var prefix = new byte[2];
            await stream.ReadExactlyAsync(prefix, timeout.Token).ConfigureAwait(false);
            var reply = new byte[BinaryPrimitives.ReadUInt16BigEndian(prefix)];
            await stream.ReadExactlyAsync(reply, timeout.Token).ConfigureAwait(false);
            return DnsResponse.TryRead(reply, id, name, out var response)
                ? response
                : throw new IOException("its TCP answer was not to the query asked");
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            return null;
        }
    }

    private static TimeSpan Clamp(TimeSpan ttl) => ttl < MinTtl ? MinTtl : ttl > MaxTtl ? MaxTtl : ttl;

    /// <summary>A random query ID (RFC 5452 9.2): with the random source port, what an off-path spoofer has to guess.</summary>
    private static ushort NewId() => (ushort)RandomNumberGenerator.GetInt32(ushort.MaxValue + 1);

    private void Store(string name, Answer answer)
    {
        if (!_cache.ContainsKey(name) && _cache.Count >= _cacheLimit)
        {
            MakeRoom();
        }

        _cache[name] = answer;
    }

    /// <summary>Drops the expired answers and, if the cache is still full, arbitrary others, so one more fits.</summary>
    private void MakeRoom()
    {
        foreach (var entry in _cache)
        {
            if (!IsFresh(entry.Value))
            {
                _cache.TryRemove(entry);
            }
        }

        var excess = _cache.Count - _cacheLimit + 1;
        foreach (var entry in _cache)
        {
            if (excess <= 0)
            {
                break;
            }

            if (_cache.TryRemove(entry))
            {
                excess--;
            }
        }
    }

    /// <summary>A name's addresses or why it has none, kept for <see cref="Ttl"/> from <see cref="StoredAt"/> (zero: not kept).</summary>
    private sealed record Answer(IReadOnlyList<IPAddress>? Addresses, string? Failure, long StoredAt, TimeSpan Ttl)
    {
        public static Answer Resolved(IReadOnlyList<IPAddress> addresses, TimeSpan ttl, TimeProvider time) => new(addresses, null, time.GetTimestamp(), ttl);

        public static Answer Failed(string failure, TimeSpan ttl, TimeProvider time) => new(null, failure, time.GetTimestamp(), ttl);
    }
}
