using System.Net;
using System.Net.Sockets;
using Weft.Api.Model;
using Weft.Routing;

namespace Weft.Cli.Local;

/// <summary>
/// The local cluster's addresses (docs/architecture.md, "Local mode"), and the API server's ClusterIP allocator as an
/// admission hook on the store. Two layouts:
/// <list type="bullet">
/// <item>process isolation: one block <c>127.B.0.0/16</c> per run, Services at <c>127.B.1.x</c> (stable per Service for
/// the process lifetime), pods at <c>127.B.2.x</c> and up;</item>
/// <item>network namespaces: the run's <see cref="Netns.NetnsBlock"/>, Services in its Service /24, pods in its pod /24
/// from <c>.2</c> (<c>.1</c> is the node's gateway).</item>
/// </list>
/// </summary>
internal sealed class AddressPlan : IDisposable
{
    public const int MinBlock = 16;
    public const int MaxBlock = 250;
    private const int ServiceOctet = 1;
    private const int FirstPodOctet = 2;
    private const int LoopbackPodSlots = 254 * (256 - FirstPodOctet);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, IPAddress> _services = new(StringComparer.Ordinal);
    private readonly Dictionary<IPAddress, string> _serviceOf = [];
    private int _nextService;
    private readonly HashSet<int> _podsInUse = [];
    private readonly IDisposable? _blockLock;
    private readonly Func<int, IPAddress> _podAt;
    private readonly Func<IPAddress, int?> _slotOf;
    private readonly Func<int, IPAddress> _serviceAt;
    private readonly Func<string, bool> _isClusterIP;
    private readonly Func<IPAddress, bool> _isServiceAddress;
    private readonly int _podSlots;
    private int _nextPod;

    /// <summary>Process isolation: block <c>127.<paramref name="block"/>.0.0/16</c>.</summary>
    public AddressPlan(int block, IDisposable? blockLock = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(block, MinBlock);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(block, MaxBlock);
        Block = block;
        _blockLock = blockLock;
        OnLoopback = true;
        Cidr = $"127.{block}.0.0/16";
        PodCidr = Cidr;
        ServiceCidr = $"127.{block}.{ServiceOctet}.0/24";
        _podSlots = LoopbackPodSlots;
        _podAt = slot => PodAddressAt(block, slot);
        _slotOf = address =>
        {
            var bytes = address.GetAddressBytes();
            return bytes.Length != 4 || bytes[0] != 127 || bytes[1] != block || bytes[2] < FirstPodOctet || bytes[3] is 0 or 255
                ? null
                : ((bytes[2] - FirstPodOctet) * 254) + bytes[3] - 1;
        };
        _serviceAt = index => new IPAddress([127, (byte)block, ServiceOctet, (byte)(index + 1)]);
        _isClusterIP = IsLoopback; // a ClusterIP a manifest sets in 127.0.0.0/8 is kept
        _isServiceAddress = address => address.GetAddressBytes() is [127, var b, ServiceOctet, _] && b == block;
    }

    /// <summary>Network namespaces: the run's <paramref name="block"/> of the netns range.</summary>
    public AddressPlan(Netns.NetnsBlock block, IDisposable? blockLock = null)
    {
        ArgumentNullException.ThrowIfNull(block);
        Block = block.Index;
        _blockLock = blockLock;
        PodCidr = block.PodCidr;
        ServiceCidr = block.ServiceCidr;
        Cidr = $"pods {PodCidr}, Services {ServiceCidr}";
        _podSlots = 253; // .2 to .254
        _podAt = slot => block.Pods.Address(2 + (uint)slot);
        _slotOf = address => block.Pods.Contains(address) && (Capture.Ipv4Cidr.ToUInt32(address) & 0xFF) is >= 2 and <= 254
            ? (int)(Capture.Ipv4Cidr.ToUInt32(address) & 0xFF) - 2
            : null;
        _serviceAt = index => block.Services.Address(1 + (uint)index);
        _isClusterIP = address => IPAddress.TryParse(address, out var ip) && block.Services.Contains(ip);
        _isServiceAddress = block.Services.Contains;
    }

    /// <summary>B in <c>127.B.0.0/16</c>, or the netns block's index.</summary>
    public int Block { get; }

    /// <summary>The run's addresses, for people: <c>127.B.0.0/16</c>, or the pod and Service ranges.</summary>
    public string Cidr { get; }

    /// <summary>Process isolation's layout (a block of <c>127.0.0.0/8</c>), not a network-namespace block.</summary>
    public bool OnLoopback { get; }

    public string PodCidr { get; }

    public string ServiceCidr { get; }

    /// <summary>How many pods can have an address at once.</summary>
    public int PodCapacity => _podSlots;

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
            var blockLock = FileClaim.TryAcquire(Path.Combine(lockDirectory, $"{block}.lock"));
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
            probe.Bind(new IPEndPoint(PodAddressAt(block, 0), MeshPorts.Admin));
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

            // The next address no Service holds (one a manifest set may be taken already).
            do
            {
                if (_nextService >= 254)
                {
                    throw new InvalidOperationException($"the local cluster has no ClusterIP left in {ServiceCidr} (254 Services at most)");
                }

                address = _serviceAt(_nextService++);
            }
            while (_serviceOf.ContainsKey(address));

            _services[serviceKey] = address;
            _serviceOf[address] = serviceKey;
            return address;
        }
    }

    /// <summary>A pod address not in use, or false when every one is (too many pods for the range).</summary>
    public bool TryAllocatePodAddress([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IPAddress? address)
    {
        try
        {
            address = AllocatePodAddress();
            return true;
        }
        catch (InvalidOperationException)
        {
            address = null;
            return false;
        }
    }

    /// <summary>A pod address not in use; addresses are handed out in order and reused only after the range wraps.</summary>
    public IPAddress AllocatePodAddress()
    {
        lock (_gate)
        {
            for (var i = 0; i < _podSlots; i++)
            {
                var slot = (_nextPod + i) % _podSlots;
                if (_podsInUse.Add(slot))
                {
                    _nextPod = slot + 1;
                    return _podAt(slot);
                }
            }

            throw new InvalidOperationException($"the local cluster has no pod address left in {PodCidr} ({_podSlots} pods at most)");
        }
    }

    public void ReleasePodAddress(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (_slotOf(address) is not int slot)
        {
            return;
        }

        lock (_gate)
        {
            _podsInUse.Remove(slot);
        }
    }

    /// <summary>
    /// The API server's ClusterIP allocation, as an admission hook: a Service of type ClusterIP (or NodePort,
    /// LoadBalancer) whose clusterIP is unset or outside the run's Service range (process isolation: 127.0.0.0/8) gets
    /// this run's address for it. Headless and ExternalName Services are left alone.
    /// </summary>
    public KubeObject Admit(KubeObject obj)
    {
        if (obj is not Service service || service.IsHeadless || service.Spec.Type == "ExternalName")
        {
            return obj;
        }

        if (IsClusterIP(service.Spec.ClusterIP) && Keep(service.Key, IPAddress.Parse(service.Spec.ClusterIP!)))
        {
            return service.Spec.ClusterIPs.Count > 0
                ? service
                : service with { Spec = service.Spec with { ClusterIPs = [service.Spec.ClusterIP!] } };
        }

        var ip = ServiceAddress(service.Key).ToString();
        return service with { Spec = service.Spec with { ClusterIP = ip, ClusterIPs = [ip] } };
    }

    /// <summary>
    /// Records that Service <paramref name="serviceKey"/> keeps the ClusterIP its manifest set; false when another Service
    /// holds it (as the API server refuses an allocated address, the Service then gets an address of its own).
    /// </summary>
    private bool Keep(string serviceKey, IPAddress address)
    {
        lock (_gate)
        {
            if (_serviceOf.TryGetValue(address, out var holder) && holder != serviceKey)
            {
                return false;
            }

            _serviceOf[address] = serviceKey;
            return true;
        }
    }

    /// <summary>Whether <paramref name="address"/> is a ClusterIP of this run's range (the local kube-proxy serves those).</summary>
    public bool IsClusterIP(string? address) => address is not null && _isClusterIP(address);

    /// <summary>
    /// Whether <paramref name="address"/> is in this run's own Service range (<see cref="ServiceCidr"/>): narrower than
    /// <see cref="IsClusterIP"/> in process isolation, for an API server whose other Services (its own <c>kubernetes</c>
    /// one) may have loopback addresses outside the run's block.
    /// </summary>
    public bool IsServiceAddress(string? address) =>
        address is not null && IPAddress.TryParse(address, out var ip) && ip.AddressFamily == AddressFamily.InterNetwork && _isServiceAddress(ip);

    public static bool IsLoopback(string? address) =>
        address is not null && IPAddress.TryParse(address, out var ip) && ip.AddressFamily == AddressFamily.InterNetwork
        && ip.GetAddressBytes()[0] == 127;

    public void Dispose() => _blockLock?.Dispose();

    private static IPAddress PodAddressAt(int block, int slot) =>
        new([127, (byte)block, (byte)(FirstPodOctet + (slot / 254)), (byte)((slot % 254) + 1)]);
}
