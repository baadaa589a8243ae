using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;
using Grpc.Core;
using Weft.Api.Model;
using Weft.ControlPlane.Identity;
using Weft.ControlPlane.Objects;
using Weft.Discovery.Identity;
using Weft.Discovery.Tap;
using Weft.Discovery.V1;
using Weft.Routing;

namespace Weft.ControlPlane.Serving;

/// <summary>
/// The control plane's half of <c>weft tap</c> (issue 16), Linkerd's tap shape: the caller has already proved the admin
/// credential; the relay finds the target's pods in the store, calls each pod's sidecar on its inbound port over mTLS as
/// <see cref="ControlPlaneClientCertificate"/> (checking the sidecar is the pod's own service account), and merges their
/// events into one stream. Each sidecar names both ends of its events itself (its own workload and the request's peer).
/// </summary>
internal sealed class TapRelay(ObjectStore store, MeshCertificateAuthority ca, ControlPlaneClientCertificate certificate, TimeProvider time)
{
    /// <summary>The most taps the control plane relays at once (each holds a connection to every pod of its target).</summary>
    public const int MaxTaps = 16;

    /// <summary>The most pods one tap calls.</summary>
    public const int MaxPods = 64;

    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);
    private int _open;

    /// <summary>The sidecar inbound port (a test's sidecars listen elsewhere).</summary>
    public int SidecarInboundPort { get; init; } = MeshPorts.Inbound;

    public async Task RelayAsync(TapRequest request, IServerStreamWriter<TapEvent> output, CancellationToken ct)
    {
        var (_, pods) = Resolve(request);
        if (Interlocked.Increment(ref _open) > MaxTaps)
        {
            Interlocked.Decrement(ref _open);
            throw new RpcException(new Status(StatusCode.ResourceExhausted, $"{TapWire.LimitReached}: the control plane already relays {MaxTaps} taps"));
        }

        try
        {
            var merged = Channel.CreateBounded<TapEvent>(new BoundedChannelOptions(256) { SingleReader = true });
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var readers = pods.Select(pod => ReadPodAsync(pod, request, merged.Writer, stop.Token)).ToArray();
            _ = Task.WhenAll(readers).ContinueWith(_ => merged.Writer.TryComplete(), TaskScheduler.Default);
            try
            {
                await foreach (var e in merged.Reader.ReadAllAsync(ct).ConfigureAwait(false))
                {
                    await output.WriteAsync(e, ct).ConfigureAwait(false);
                }
            }
            finally
            {
                await stop.CancelAsync().ConfigureAwait(false);
                await Task.WhenAll(readers).ConfigureAwait(false);
            }
        }
        finally
        {
            Interlocked.Decrement(ref _open);
        }
    }

    /// <summary>The most pods one stat query asks (every pod of a namespace, or of the mesh).</summary>
    public const int MaxStatPods = 512;

    /// <summary>The most stat queries the control plane answers at once.</summary>
    public const int MaxStats = 4;

    /// <summary>How many sidecars one stat query asks at once.</summary>
    private const int StatParallelism = 16;

    /// <summary>The largest stat answer read from one sidecar (its series are bounded by its metrics' series limit).</summary>
    private const int MaxStatBytes = 8 * 1024 * 1024;

    private static readonly TimeSpan StatReadTimeout = TimeSpan.FromSeconds(5);

    /// <summary>How long one stat query may take in all: a sidecar not answered by then is a notice.</summary>
    private static readonly TimeSpan StatDeadline = TimeSpan.FromSeconds(20);

    private int _stats;

    /// <summary>
    /// <c>weft stat</c>: the request series of every meshed pod <paramref name="request"/> names, over its window, asked
    /// of their sidecars at most <see cref="StatParallelism"/> at once and within <see cref="StatDeadline"/>; a sidecar
    /// that cannot be asked, and pods beyond <see cref="MaxStatPods"/>, are notices in the reply.
    /// </summary>
    public async Task<StatReply> StatAsync(StatRequest request, CancellationToken ct)
    {
        var (pods, left) = request.TargetKind.Length == 0 ? AllPods(request) : (Resolve(new TapRequest
        {
            Namespace = request.Namespace,
            TargetKind = request.TargetKind,
            TargetName = request.TargetName,
        }).Pods, 0);
        if (Interlocked.Increment(ref _stats) > MaxStats)
        {
            Interlocked.Decrement(ref _stats);
            throw new RpcException(new Status(StatusCode.ResourceExhausted, $"the control plane already answers {MaxStats} stat queries; try again"));
        }

        try
        {
            var seconds = request.WindowSeconds is 0 or > StatWindows.MaxSeconds ? StatWindows.MaxSeconds : request.WindowSeconds;
            var answers = new PodStat[pods.Count];
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(StatDeadline);
            await Parallel.ForEachAsync(Enumerable.Range(0, pods.Count), new ParallelOptions { MaxDegreeOfParallelism = StatParallelism, CancellationToken = ct },
                async (i, _) => answers[i] = await StatPodAsync(pods[i], seconds, deadline.Token, ct).ConfigureAwait(false)).ConfigureAwait(false);
            var reply = new StatReply();
            reply.Pods.AddRange(answers);
            if (left > 0)
            {
                reply.Pods.Add(new PodStat { Notice = $"{left} more pods were not asked: a stat query asks at most {MaxStatPods}" });
            }

            return reply;
        }
        finally
        {
            Interlocked.Decrement(ref _stats);
        }
    }

    /// <summary>
    /// The running meshed pods of the request's namespace, or of every namespace, at most <see cref="MaxStatPods"/>, and
    /// how many more there were. A pod with <c>weft.dev/mesh: off</c> has no sidecar to ask.
    /// </summary>
    internal (IReadOnlyList<Pod> Pods, int Left) AllPods(StatRequest request)
    {
        var ns = request.Namespace.Length == 0 ? "default" : request.Namespace;
        var all = store.Snapshot().Mesh.Pods
            .Where(p => p.PodIP is not null && (request.AllNamespaces || p.Namespace == ns) && MeshLevels.Of(p) != MeshLevels.Off)
            .OrderBy(p => p.Namespace, StringComparer.Ordinal).ThenBy(p => p.Metadata.Name, StringComparer.Ordinal)
            .ToArray();
        return (all.Take(MaxStatPods).ToArray(), Math.Max(0, all.Length - MaxStatPods));
    }

    /// <summary>One pod's window over <paramref name="seconds"/>, or a notice of why its sidecar could not be asked.</summary>
    /// <param name="pod">The pod whose sidecar is asked.</param>
    /// <param name="seconds">The window.</param>
    /// <param name="deadline">The query's deadline (a sidecar not answered by then is a notice).</param>
    /// <param name="ct">The caller's cancellation.</param>
    private async Task<PodStat> StatPodAsync(Pod pod, uint seconds, CancellationToken deadline, CancellationToken ct)
    {
        var name = $"{pod.Namespace}/{pod.Metadata.Name}";
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(deadline);
            timeout.CancelAfter(ConnectTimeout + StatReadTimeout);
            await using var ssl = await ConnectAsync(pod, timeout.Token).ConfigureAwait(false);
            await DelimitedMessages.WriteAsync(ssl, new TapRequest { StatWindowSeconds = seconds }, timeout.Token).ConfigureAwait(false);
            var answer = await DelimitedMessages.ReadAsync(ssl, TapEvent.Parser, MaxStatBytes, timeout.Token).ConfigureAwait(false);
            return answer?.Stat is { } window ? OwnSeriesOnly(pod, name, window)
                : new PodStat { Pod = name, Notice = $"the sidecar of {name} gave no stat (an older weft-proxy?)" };
        }
        catch (Exception ex) when (!ct.IsCancellationRequested && ex is IOException or SocketException or AuthenticationException or InvalidDataException
            or OperationCanceledException or Google.Protobuf.InvalidProtocolBufferException)
        {
            var why = ex is OperationCanceledException ? "it did not answer in time" : ex.Message;
            return new PodStat { Pod = name, Notice = $"the sidecar of {name} could not be asked: {why}" };
        }
    }

    /// <summary>
    /// The pod's window without the series that name another workload as this pod's own end (the destination of an
    /// inbound series, the source of an outbound one): a sidecar speaks for its own pod only, never for others' calls.
    /// </summary>
    internal static PodStat OwnSeriesOnly(Pod pod, string name, StatWindow window)
    {
        var workload = WorkloadName.Of(pod);
        var foreign = 0;
        for (var i = window.Series.Count - 1; i >= 0; i--)
        {
            var labels = window.Series[i].Labels;
            var direction = StatLabels.Of(labels, StatLabels.Direction);
            if (direction == StatLabels.Overflow)
            {
                window.Series.RemoveAt(i); // the series beyond the sidecar's bound: no row can hold it
                continue;
            }

            var (ns, own) = StatLabels.OwnEnd(direction);
            if (StatLabels.Of(labels, ns) != pod.Namespace || StatLabels.Of(labels, own) != workload)
            {
                window.Series.RemoveAt(i);
                foreign++;
            }
        }

        return foreign == 0 ? new PodStat { Pod = name, Window = window }
            : new PodStat { Pod = name, Window = window, Notice = $"the sidecar of {name} named another workload than {pod.Namespace}/{workload} as its own in {foreign} series; they are left out" };
    }

    /// <summary>The pods of <c>deploy/NAME</c> (those its selector matches) or <c>pod/NAME</c>, with an error for none.</summary>
    internal (string Workload, IReadOnlyList<Pod> Pods) Resolve(TapRequest request)
    {
        var snapshot = store.Snapshot();
        var ns = request.Namespace.Length == 0 ? "default" : request.Namespace;
        switch (request.TargetKind)
        {
            case "deploy" or "deployment":
                // The store holds no Deployments in a cluster: a Deployment's pods are those whose workload it is.
                var pods = snapshot.Mesh.Pods.Where(p => p.Namespace == ns && p.PodIP is not null && WorkloadName.Of(p) == request.TargetName).Take(MaxPods).ToArray();
                return pods.Length > 0 ? (request.TargetName, pods)
                    : throw new RpcException(new Status(StatusCode.NotFound, $"no running pods of deployment {ns}/{request.TargetName}"));
            case "pod" or "po":
                var pod = snapshot.Mesh.Pods.FirstOrDefault(p => p.Namespace == ns && p.Metadata.Name == request.TargetName && p.PodIP is not null)
                    ?? throw new RpcException(new Status(StatusCode.NotFound, $"no running pod {ns}/{request.TargetName}"));
                return (WorkloadName.Of(pod), [pod]);
            default:
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"cannot tap '{request.TargetKind}/{request.TargetName}': name deploy/NAME or pod/NAME"));
        }
    }

    private async Task ReadPodAsync(Pod pod, TapRequest request, ChannelWriter<TapEvent> output, CancellationToken ct)
    {
        var name = $"{pod.Namespace}/{pod.Metadata.Name}";
        try
        {
            await using var ssl = await ConnectAsync(pod, ct).ConfigureAwait(false);
            await DelimitedMessages.WriteAsync(ssl, request, ct).ConfigureAwait(false);
            while (await DelimitedMessages.ReadAsync(ssl, TapEvent.Parser, 64 * 1024, ct).ConfigureAwait(false) is { } e)
            {
                await output.WriteAsync(e, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is IOException or SocketException or AuthenticationException or InvalidDataException or OperationCanceledException
            or Google.Protobuf.InvalidProtocolBufferException)
        {
            output.TryWrite(new TapEvent { Pod = name, Notice = $"the sidecar of {name} could not be tapped: {ex.Message}" });
        }
    }

    private async Task<SslStream> ConnectAsync(Pod pod, CancellationToken ct)
    {
        var address = IPAddress.Parse(pod.PodIP!);
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var connect = CancellationTokenSource.CreateLinkedTokenSource(ct);
        connect.CancelAfter(ConnectTimeout);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(address, SidecarInboundPort), connect.Token).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var expected = SpiffeId.ForWorkload(ca.TrustDomain, pod.Namespace, pod.Spec.ServiceAccountName);
        var roots = new X509Certificate2Collection();
        roots.AddRange(ca.TrustedRoots.ToArray());
        string? error = null;
        var ssl = new SslStream(new NetworkStream(socket, ownsSocket: true));
        try
        {
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "",
                ClientCertificates = [certificate.Current],
                EnabledSslProtocols = SslProtocols.Tls13,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                ApplicationProtocols = [new SslApplicationProtocol(TapWire.Alpn)],
                RemoteCertificateValidationCallback = (_, cert, _, _) =>
                    SpiffeValidation.Validate(cert as X509Certificate2, roots, expected, SvidPurpose.Server, time.GetUtcNow(), out _, out error),
            }, connect.Token).ConfigureAwait(false);
            if (ssl.NegotiatedApplicationProtocol.ToString() != TapWire.Alpn)
            {
                throw new AuthenticationException("the sidecar does not serve taps (an older weft-proxy?)");
            }

            return ssl;
        }
        catch (AuthenticationException e) when (error is not null)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw new AuthenticationException(error, e);
        }
        catch
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
