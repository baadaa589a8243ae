using System.Net;
using System.Net.Sockets;
using Weft.Api.Model;

namespace Weft.Cli.Local;

/// <summary>
/// The local cluster's addresses (docs/architecture.md, "Local mode"): one block <c>127.B.0.0/16</c> per run,
/// Services at <c>127.B.1.x</c> (stable per Service for the process lifetime), pods at <c>127.B.2.x</c> and up.
/// It is also the API server's ClusterIP allocator, as an admission hook on the store.
/// </summary>
internal sealed class AddressPlan : IDisposable
{
    public const int MinBlock = 16;
    public const int MaxBlock = 250;
    private const int ServiceOctet = 1;
    private const int FirstPodOctet = 2;
    private const int PodSlots = 254 * (256 - FirstPodOctet);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, IPAddress> _services = new(StringComparer.Ordinal);
    private readonly HashSet<int> _podsInUse = [];
    private readonly IDisposable? _blockLock;
    private int _nextPod;

    public AddressPlan(int block, IDisposable? blockLock = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(block, MinBlock);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(block, MaxBlock);
        Block = block;
        _blockLock = blockLock;
    }

    /// <summary>B in <c>127.B.0.0/16</c>.</summary>
    public int Block { get; }

    public string Cidr => $"127.{Block}.0.0/16";

    /// <summary>
    /// Picks a block no other run holds: B random in 16..250, reserved with a lock file (so two runs starting together
    /// cannot both take it) and checked by binding its first pod address's admin port.
    /// </summary>
    public static AddressPlan Pick(Random? random = null, string? lockDirectory = null)
    {
        random ??= Random.Shared;
        lockDirectory ??= Path.Combine(StateFile.RuntimeRoot(), "blocks");
        Directory.CreateDirectory(lockDirectory);
        for (var attempt = 0; attempt < 64; attempt++)
        {
            var block = random.Next(MinBlock, MaxBlock + 1);
            var blockLock = TryLock(Path.Combine(lockDirectory, $"{block}.lock"));
            if (blockLock is null)
            {
                continue;
            }

            if (IsFree(block))
            {
                return new AddressPlan(block, blockLock);
            }

            blockLock.Dispose();
        }

        throw new InvalidOperationException("no free 127.B.0.0/16 block for the local cluster (tried 64 random blocks)");
    }

    /// <summary>Whether nothing listens on the block's first pod address (where a sidecar admin port would be).</summary>
    public static bool IsFree(int block)
    {
        try
        {
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            probe.Bind(new IPEndPoint(PodAddressAt(block, 0), 15000));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>The ClusterIP of Service <paramref name="serviceKey"/> ("namespace/name"): the same for the whole run.</summary>
    public IPAddress ServiceAddress(string serviceKey)
    {
        lock (_gate)
        {
            if (_services.TryGetValue(serviceKey, out var address))
            {
                return address;
            }

            if (_services.Count >= 254)
            {
                throw new InvalidOperationException($"the local cluster has no ClusterIP left in 127.{Block}.{ServiceOctet}.0/24");
            }

            address = new IPAddress([127, (byte)Block, ServiceOctet, (byte)(_services.Count + 1)]);
            _services[serviceKey] = address;
            return address;
        }
    }

    /// <summary>A pod address not in use; addresses are handed out in order and reused only after the range wraps.</summary>
    public IPAddress AllocatePodAddress()
    {
        lock (_gate)
        {
            for (var i = 0; i < PodSlots; i++)
            {
                var slot = (_nextPod + i) % PodSlots;
                if (_podsInUse.Add(slot))
                {
                    _nextPod = slot + 1;
                    return PodAddressAt(Block, slot);
                }
            }

            throw new InvalidOperationException($"the local cluster has no pod address left in {Cidr}");
        }
    }

    public void ReleasePodAddress(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var bytes = address.GetAddressBytes();
        if (bytes.Length != 4 || bytes[0] != 127 || bytes[1] != Block || bytes[2] < FirstPodOctet || bytes[3] is 0 or 255)
        {
            return;
        }

        lock (_gate)
        {
            _podsInUse.Remove(((bytes[2] - FirstPodOctet) * 254) + bytes[3] - 1);
        }
    }

    /// <summary>
    /// The API server's ClusterIP allocation, as an admission hook: a Service of type ClusterIP (or NodePort,
    /// LoadBalancer) whose clusterIP is unset or outside 127.0.0.0/8 gets this run's address for it. Headless and
    /// ExternalName Services are left alone.
    /// </summary>
    public KubeObject Admit(KubeObject obj)
    {
        if (obj is not Service service || service.IsHeadless || service.Spec.Type == "ExternalName")
        {
            return obj;
        }

        if (IsLoopback(service.Spec.ClusterIP))
        {
            return service.Spec.ClusterIPs.Count > 0
                ? service
                : service with { Spec = service.Spec with { ClusterIPs = [service.Spec.ClusterIP!] } };
        }

        var ip = ServiceAddress(service.Key).ToString();
        return service with { Spec = service.Spec with { ClusterIP = ip, ClusterIPs = [ip] } };
    }

    public static bool IsLoopback(string? address) =>
        address is not null && IPAddress.TryParse(address, out var ip) && ip.AddressFamily == AddressFamily.InterNetwork
        && ip.GetAddressBytes()[0] == 127;

    public void Dispose() => _blockLock?.Dispose();

    private static IPAddress PodAddressAt(int block, int slot) =>
        new([127, (byte)block, (byte)(FirstPodOctet + (slot / 254)), (byte)((slot % 254) + 1)]);

    private static FileStream? TryLock(string path)
    {
        try
        {
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
