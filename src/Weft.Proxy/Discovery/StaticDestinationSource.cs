using System.Collections.Frozen;
using Weft.Routing.Policy;

namespace Weft.Proxy.Discovery;

/// <summary>A fixed map of "host:port" to policy, for tests and for running a proxy without a control plane.</summary>
public sealed class StaticDestinationSource : IDestinationSource
{
    private readonly FrozenDictionary<string, RouteTable> _tables;

    private readonly OutsidePolicy _outside;

    /// <param name="policies">The destinations ("host:port") and their policies.</param>
    /// <param name="outside">The outbound policy for every other destination; <see cref="OutsidePolicy.Unmanaged"/> (allow-any) by default.</param>
    public StaticDestinationSource(IEnumerable<KeyValuePair<string, DestinationPolicy>> policies, OutsidePolicy? outside = null)
    {
        ArgumentNullException.ThrowIfNull(policies);
        _outside = outside ?? OutsidePolicy.Unmanaged;
        _tables = policies.ToFrozenDictionary(p => p.Key, p => RouteTable.Build(p.Value), StringComparer.OrdinalIgnoreCase);
    }

    public ValueTask<RouteTable?> GetAsync(string host, int port, CancellationToken ct) =>
        ValueTask.FromResult(_tables.GetValueOrDefault(Key(host, port)));

    public ValueTask<OutsidePolicy> OutsideAsync(string host, int port, CancellationToken ct) => ValueTask.FromResult(_outside);

    public IReadOnlyList<DestinationSnapshot> Snapshot() =>
        [.. _tables.Select(t => new DestinationSnapshot(HostOf(t.Key), PortOf(t.Key), 1, t.Value.Policy))];

    public static string Key(string host, int port) => $"{host}:{port}";

    private static string HostOf(string key) => key[..key.LastIndexOf(':')];

    private static int PortOf(string key) => int.Parse(key.AsSpan(key.LastIndexOf(':') + 1));
}
