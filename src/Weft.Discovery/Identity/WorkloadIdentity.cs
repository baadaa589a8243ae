using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Weft.Discovery.Internal;
using Weft.Discovery.V1;

namespace Weft.Discovery.Identity;

/// <summary>
/// The proxy's workload identity (DESIGN decision 4): a fresh ECDSA P-256 key made here and never sent, a CSR for it
/// sent over the discovery API's IssueCertificate with the pod's workload token (on every call, as any discovery call), and the returned X.509-SVID and trust
/// bundle kept as one immutable <see cref="IdentitySnapshot"/>. Renewed at <see cref="WorkloadIdentityOptions.RenewAt"/>
/// of the lifetime with a new key; a failed renewal is retried with backoff while the current certificate is kept.
/// The swap is one reference write: handshakes in flight finish with the old snapshot, new ones take the new one.
/// </summary>
public sealed class WorkloadIdentity : IAsyncDisposable
{
    private static readonly TimeSpan LongestWait = TimeSpan.FromDays(1);

    private readonly WorkloadIdentityOptions _options;
    private readonly GrpcChannel _channel;
    private readonly V1.Discovery.DiscoveryClient _grpc;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private volatile IdentitySnapshot _current = null!;
    private Task _renewal = Task.CompletedTask;
    private int _failedAttempts;
    private int _disposed;

    private WorkloadIdentity(WorkloadIdentityOptions options, GrpcChannel channel, ILogger logger, TimeProvider time)
    {
        _options = options;
        _channel = channel;
        _grpc = new V1.Discovery.DiscoveryClient(channel);
        _logger = logger;
        _time = time;
    }

    /// <summary>Raised, on the renewal task, after <see cref="Current"/> changed to the given snapshot.</summary>
    public event Action<IdentitySnapshot>? Changed;

    /// <summary>The identity to use for a new handshake; read it once per handshake.</summary>
    public IdentitySnapshot Current => _current;

    public X509Certificate2 Certificate => _current.Certificate;

    public X509Certificate2Collection TrustBundle => _current.TrustBundle;

    public string SpiffeId => _current.SpiffeId;

    public DateTimeOffset NotAfter => _current.NotAfter;

    /// <summary>Failed renewal attempts since the last success (0 when the last attempt succeeded).</summary>
    public int FailedAttempts => Volatile.Read(ref _failedAttempts);

    /// <summary>
    /// Gets the first certificate and starts renewing. An unreachable control plane is retried until
    /// <paramref name="ct"/> is cancelled; a refusal that asking again will not change (a rejected token:
    /// PERMISSION_DENIED; a refused request: INVALID_ARGUMENT; a control plane without the call: UNIMPLEMENTED) throws.
    /// </summary>
    public static async Task<WorkloadIdentity> StartAsync(WorkloadIdentityOptions options, ILogger logger, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        if (options.RenewAt is not (> 0 and < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.RenewAt, "RenewAt must be a fraction of the lifetime, between 0 and 1.");
        }

        // The token goes with every call; a renewal also presents the current certificate (it must agree with the token).
        WorkloadIdentity? self = null;
        var credentials = new DiscoveryCredentials { Token = options.Token, ClientCertificate = () => self?._current?.Certificate };
        var identity = self = new WorkloadIdentity(options, DiscoveryChannel.Create(options.ControlPlane, options.ControlPlaneRoots, credentials, options.Time), logger, options.Time ?? TimeProvider.System);
        try
        {
            var backoff = options.InitialBackoff;
            while (true)
            {
                try
                {
                    identity._current = await identity.RequestAsync(ct).ConfigureAwait(false);
                    break;
                }
                catch (RpcException e) when (IsPermanent(e.StatusCode))
                {
                    throw;
                }
                catch (Exception e) when (!ct.IsCancellationRequested)
                {
                    var delay = identity.Failed(backoff, e);
                    await Task.Delay(delay, identity._time, ct).ConfigureAwait(false);
                    backoff = identity.Next(backoff);
                }
            }

            identity._renewal = identity.RenewAsync();
            return identity;
        }
        catch
        {
            await identity.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _renewal.ConfigureAwait(false);
        _channel.Dispose();
        _stop.Dispose();
    }

    private async Task RenewAsync()
    {
        var ct = _stop.Token;
        var backoff = _options.InitialBackoff;
        try
        {
            while (true)
            {
                var wait = _current.RenewAt - _time.GetUtcNow();
                if (wait > TimeSpan.Zero)
                {
                    // Task.Delay's timer caps near 49 days; long lifetimes wait in steps.
                    await Task.Delay(wait < LongestWait ? wait : LongestWait, _time, ct).ConfigureAwait(false);
                    continue;
                }

                try
                {
                    var next = await RequestAsync(ct).ConfigureAwait(false);

                    // The previous snapshot is not disposed: a handshake that read it before this write may still be using its key.
                    _current = next;
                    backoff = _options.InitialBackoff;
                    Volatile.Write(ref _failedAttempts, 0);
                    RaiseChanged(next);
                }
                catch (Exception e) when (!ct.IsCancellationRequested)
                {
                    // Keep serving with the current certificate; the control plane may come back before it expires.
                    var delay = Failed(backoff, e);
                    await Task.Delay(delay, _time, ct).ConfigureAwait(false);
                    backoff = Next(backoff);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Disposed.
        }
    }

    private async Task<IdentitySnapshot> RequestAsync(CancellationToken ct)
    {
        // A new key for every certificate: a renewal also rotates the key.
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = new CertificateRequest("O=Weft", key, HashAlgorithmName.SHA256).CreateSigningRequest();

        using var timeout = new CancellationTokenSource(_options.RequestTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        var reply = await _grpc.IssueCertificateAsync(
            new IssueCertificateRequest { CsrDer = UnsafeByteOperations.UnsafeWrap(csr) },
            cancellationToken: linked.Token).ConfigureAwait(false);

        var received = _time.GetUtcNow();
        using var leaf = X509CertificateLoader.LoadCertificate(reply.CertificateDer.Span);
        using (var leafKey = leaf.GetECDsaPublicKey())
        {
            if (leafKey is null || !leafKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()))
            {
                throw new InvalidDataException("the control plane returned a certificate for another key");
            }
        }

        var bundle = new X509Certificate2Collection();
        foreach (var root in reply.TrustBundleDer)
        {
            bundle.Add(X509CertificateLoader.LoadCertificate(root.Span));
        }

        var certificate = WithPrivateKey(leaf, key);
        if (!SpiffeValidation.Validate(certificate, bundle, reply.SpiffeId, received, out var spiffeId, out var error))
        {
            certificate.Dispose();
            throw new InvalidDataException($"the control plane returned a certificate that does not validate: {error}");
        }

        var notAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime());
        var renewAt = received + ((notAfter - received) * _options.RenewAt);
        Log.IdentityIssued(_logger, spiffeId!, certificate.SerialNumber, notAfter, renewAt);
        return new IdentitySnapshot(certificate, bundle, spiffeId!, notAfter, renewAt);
    }

    private static X509Certificate2 WithPrivateKey(X509Certificate2 leaf, ECDsa key)
    {
        var certificate = leaf.CopyWithPrivateKey(key);
        if (!OperatingSystem.IsWindows())
        {
            return certificate;
        }

        // SChannel cannot use an ephemeral key; a PKCS#12 round trip gives it a persisted-for-the-process one.
        using (certificate)
        {
            return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
        }
    }

    private TimeSpan Failed(TimeSpan backoff, Exception e)
    {
        var attempt = Interlocked.Increment(ref _failedAttempts);
        var delay = backoff * (0.8 + (Random.Shared.NextDouble() * 0.4));
        Log.IdentityRequestFailed(_logger, attempt, delay, _current?.NotAfter, e is RpcException rpc ? $"{rpc.StatusCode}: {rpc.Status.Detail}" : e.Message);
        return delay;
    }

    private static bool IsPermanent(StatusCode code) =>
        code is StatusCode.PermissionDenied or StatusCode.Unauthenticated or StatusCode.InvalidArgument or StatusCode.Unimplemented or StatusCode.FailedPrecondition;

    private TimeSpan Next(TimeSpan backoff) => backoff * 2 < _options.MaxBackoff ? backoff * 2 : _options.MaxBackoff;

    private void RaiseChanged(IdentitySnapshot snapshot)
    {
        try
        {
            Changed?.Invoke(snapshot);
        }
        catch (Exception e)
        {
            Log.IdentityChangedHandlerFailed(_logger, e);
        }
    }
}
