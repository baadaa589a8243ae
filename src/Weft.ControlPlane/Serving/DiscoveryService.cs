using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Weft.Api;
using Weft.ControlPlane.Identity;
using Weft.ControlPlane.Internal;
using Weft.ControlPlane.Kubernetes;
using Weft.ControlPlane.Translation;
using Weft.Discovery;
using Weft.Discovery.V1;
using Weft.Routing;
using Weft.Routing.Authorization;
using Weft.Routing.Policy;

namespace Weft.ControlPlane.Serving;

/// <summary>
/// The discovery server: thin over the translator's published model, as linkerd's policy-controller API is over its
/// index. One change-detecting watch per stream (<see cref="ModelWatches"/>, which evaluates them all in one pass per
/// published model): the policy is recompiled on every published model and sent only when its JSON bytes differ from
/// the last sent. The version sent is the model's <see cref="PublishedModel.Version"/>,
/// so it grows within a stream and is comparable across the streams of one control plane. Every call is
/// authenticated first (<see cref="CallerAuthentication"/>): a sidecar subscribes, watches and reports as its own pod
/// only, and status is for the admin credential.
/// </summary>
internal sealed class DiscoveryService(
    Translator translator,
    SubscriptionRegistry registry,
    ControlPlaneStatus status,
    CertificateIssuance certificates,
    CallerAuthentication callers,
    TapRelay taps,
    ModelWatches watches,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<DiscoveryService> logger) : Weft.Discovery.V1.Discovery.DiscoveryBase
{
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<DestinationPolicy, byte[]> SerializedPolicies = new();

    /// <summary>What <see cref="SerializedPolicies"/> holds for a policy that could not be serialised: a marker, never sent.</summary>
    private static readonly byte[] NotSerializable = new byte[1];

    /// <summary>What a watch has serialised before its first answer: unlike any answer, null (NOT_FOUND) included.</summary>
    private static readonly object NothingSerialized = new();

    private readonly LogLimiter _nackLog = new(TimeSpan.FromSeconds(1), time);

    public override async Task WatchDestination(DestinationRequest request, IServerStreamWriter<DestinationUpdate> responseStream, ServerCallContext context)
    {
        // The policy is compiled for the caller's namespace: it must be the pod's own.
        var caller = await callers.PodNamedAsync(context, request.ClientPod).ConfigureAwait(false);
        if (!string.Equals(request.ClientNamespace, caller.Namespace, StringComparison.Ordinal))
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, $"{caller.Pod} may not subscribe as namespace {request.ClientNamespace}"));
        }

        // The watch holds its request while it lives: only the fields it reads, and of a host longer than any in the mesh
        // (answered NOT_FOUND all the same) only as much as says so.
        request = new DestinationRequest
        {
            ClientNamespace = request.ClientNamespace,
            ClientPod = request.ClientPod,
            Host = request.Host.Length > MeshModel.MaxHostLength ? request.Host[..(MeshModel.MaxHostLength + 1)] : request.Host,
            Port = request.Port,
            ClientLevel = MeshLevels.Normalize(request.ClientLevel),
        };
        var subscription = registry.Add(request);
        Log.Subscribed(logger, request.ClientPod, request.Host, request.Port);
        try
        {
            // MeshModel.Compile (and Outside) hand back the same instance while the destination is unchanged (but for
            // loose pod-IP destinations past the model's bound, compiled anew and so serialised again, though not re-sent).
            var next = SerializedOnChange(
                model => Compile(model, request, out var policy) ? (true, policy ?? (object)model.Outside(request.ClientNamespace, request.ClientPod)) : (false, null),
                answer => Serialize(answer!, request));
            await WatchAsync(subscription, context, next, async (version, answer, ct) =>
            {
                var found = answer.Status == DestinationStatus.Found;
                await responseStream.WriteAsync(new DestinationUpdate
                {
                    Version = version,
                    Status = answer.Status,
                    PolicyJson = found ? UnsafeByteOperations.UnsafeWrap(answer.Json) : ByteString.Empty,
                    OutsideJson = found ? ByteString.Empty : UnsafeByteOperations.UnsafeWrap(answer.Json),
                }, ct).ConfigureAwait(false);
                Log.Sent(logger, version, answer.Status.ToString(), request.Host, request.Port, request.ClientPod);
            }).ConfigureAwait(false);
        }
        finally
        {
            registry.Remove(subscription);
        }
    }

    /// <summary>
    /// The pod's inbound policy (issue 14), watched as <see cref="WatchDestination"/> is (NOT_FOUND while the pod is not
    /// in the model).
    /// </summary>
    public override async Task WatchInbound(InboundRequest request, IServerStreamWriter<InboundUpdate> responseStream, ServerCallContext context)
    {
        var slash = request.Pod.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == request.Pod.Length - 1 || request.Pod.IndexOf('/', slash + 1) >= 0)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"pod must be \"namespace/name\", not '{request.Pod}'"));
        }

        await callers.PodNamedAsync(context, request.Pod).ConfigureAwait(false);
        var (podNamespace, podName) = (request.Pod[..slash], request.Pod[(slash + 1)..]);
        var subscription = registry.Add(request);
        try
        {
            // MeshModel.CompileInbound hands back the same instance while the pod's inputs are unchanged (with thousands of
            // sidecars, every change of anything re-serialised every pod's).
            var next = SerializedOnChange(
                model => CompileInbound(model, podNamespace, podName, request.Pod, out var policy) ? (true, policy) : (false, null),
                answer => SerializeInbound((InboundPolicy?)answer, request.Pod));
            await WatchAsync(subscription, context, next, async (version, answer, ct) =>
            {
                await responseStream.WriteAsync(new InboundUpdate { Version = version, Status = answer.Status, PolicyJson = UnsafeByteOperations.UnsafeWrap(answer.Json) }, ct).ConfigureAwait(false);
                Log.InboundSent(logger, version, answer.Status.ToString(), request.Pod);
            }).ConfigureAwait(false);
        }
        finally
        {
            registry.Remove(subscription);
        }
    }

    public override async Task<ReportReply> Report(PolicyReport request, ServerCallContext context)
    {
        // A report names the stream it is about by its pod: only that pod's sidecar may ACK or NACK it.
        await callers.PodNamedAsync(context, request.ClientPod).ConfigureAwait(false);
        return new ReportReply { Known = Record(request) };
    }

    public override async Task<ReportReply> Reports(IAsyncStreamReader<PolicyReport> requestStream, ServerCallContext context)
    {
        // Authenticated at its start as a watch stream is, and bounded per pod as watches are. The headers then say the
        // stream is accepted, before the sidecar writes a report that a refused stream would lose.
        var caller = await callers.PodAsync(context).ConfigureAwait(false);
        using var open = registry.OpenReports(caller.Pod);
        await context.WriteResponseHeadersAsync([new Metadata.Entry(Weft.Discovery.Internal.ReportSender.AcceptedHeader, "yes")]).ConfigureAwait(false);

        // It ends when the sidecar goes away or the control plane stops (which must not wait for sidecars to end it).
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        var known = false;
        try
        {
            while (await requestStream.MoveNext(stop.Token).ConfigureAwait(false))
            {
                // Each report must be about the caller's own pod, which must still be there (the same incarnation): a
                // deleted pod's sidecar is refused at once, as its calls are. Like a watch stream, the stream is not
                // authenticated again when the token it was opened with expires.
                var report = requestStream.Current;
                callers.RequireActsAs(context, caller, report.ClientPod);
                callers.RequireStillRunning(context, caller);
                known |= Record(report);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }

        return new ReportReply { Known = known };
    }

    /// <summary>Records a sidecar's ACK or NACK on its streams (a NACK is logged); false when no live stream matches.</summary>
    private bool Record(PolicyReport report)
    {
        var known = registry.Report(report);

        // A NACK of a live stream is logged, at most one line a second with the count held back: a sidecar reporting
        // in a loop must not flood the log.
        if (!report.Ack && known && _nackLog.TryTake(out var heldBack))
        {
            if (report.Inbound)
            {
                Log.InboundNacked(logger, report.ClientPod, report.Version, report.Error, heldBack);
            }
            else
            {
                Log.Nacked(logger, report.ClientPod, report.Version, report.Host, report.Port, report.Error, heldBack);
            }
        }

        return known;
    }

    /// <summary>Issue 16's tap, for an admin (<see cref="CallerAuthentication.RequireAdminAsync"/>): the relay calls the target's sidecars (<see cref="TapRelay"/>).</summary>
    public override async Task Tap(TapRequest request, IServerStreamWriter<TapEvent> responseStream, ServerCallContext context)
    {
        await callers.RequireAdminAsync(context, AdminRequest.Tap(request.Namespace)).ConfigureAwait(false);
        await taps.RelayAsync(request, responseStream, context.CancellationToken).ConfigureAwait(false);
    }

    /// <summary>Issue 16's <c>weft stat</c>, for an admin: the relay asks the pods' sidecars for their windows.</summary>
    public override async Task<StatReply> Stat(StatRequest request, ServerCallContext context)
    {
        await callers.RequireAdminAsync(context, AdminRequest.Stat(request.AllNamespaces ? null : request.Namespace)).ConfigureAwait(false);
        return await taps.StatAsync(request, context.CancellationToken).ConfigureAwait(false);
    }

    public override async Task<StatusReply> GetStatus(StatusRequest request, ServerCallContext context)
    {
        await callers.RequireAdminAsync(context, AdminRequest.Status()).ConfigureAwait(false);
        var published = translator.Current;
        var reply = new StatusReply
        {
            ModelVersion = (long)published.Version,
            StoreVersion = published.StoreVersion,
            RouteStatusesJson = UnsafeByteOperations.UnsafeWrap(StatusJson.ToUtf8Bytes(published.Model.Statuses, time.GetUtcNow())),
            AuthorizationStatusesJson = UnsafeByteOperations.UnsafeWrap(AuthorizationStatusJson.ToUtf8Bytes(published.Model, time.GetUtcNow())),
            BackendStatusesJson = UnsafeByteOperations.UnsafeWrap(BackendStatusJson.ToUtf8Bytes(published.Model, time.GetUtcNow())),
        };
        reply.Problems.AddRange(status.Problems().Select(p => new LoadProblem
        {
            Kind = p.Kind.ToString(),
            File = p.File,
            Line = p.Line,
            Object = p.ObjectDisplayName ?? "",
            FieldPath = p.FieldPath ?? "",
            Message = p.Message,
            Hint = p.Hint ?? "",
            Text = p.ToString(),
        }));
        reply.Problems.AddRange(status.Refused().Select(r => new LoadProblem
        {
            Kind = nameof(ProblemKind.Invalid),
            Object = $"{r.Kind} {r.Key}",
            Message = r.Refusal.Message,
            Text = $"{r.Kind} {r.Key} is invalid: {r.Refusal.Message} (generation {r.Refusal.Generation}, refused: the mesh applies nothing of it)",
        }));
        reply.Subscriptions.AddRange(registry.Snapshot());
        reply.InboundSubscriptions.AddRange(registry.InboundSnapshot());
        return reply;
    }

    public override async Task<IssueCertificateReply> IssueCertificate(IssueCertificateRequest request, ServerCallContext context)
    {
        // The identity comes from the authenticated caller (its token, checked against its pod), never from the CSR.
        var caller = await callers.PodAsync(context).ConfigureAwait(false);
        return certificates.Issue(request, caller, context.Peer);
    }

    /// <summary>
    /// A watch's answer to each model: <paramref name="compile"/>'s answer (false: compiling failed, nothing to send),
    /// serialised only when it is not the instance last serialised, since the model hands back the same instance while a
    /// destination's or pod's inputs are unchanged. An answer whose serialising failed (null) is tried again on the next model.
    /// </summary>
    private static Func<MeshModel, WatchAnswer?> SerializedOnChange(Func<MeshModel, (bool Compiled, object? Answer)> compile, Func<object?, WatchAnswer?> serialize)
    {
        object? last = NothingSerialized;
        return model =>
        {
            var (compiled, answer) = compile(model);
            if (!compiled || ReferenceEquals(answer, last))
            {
                return null;
            }

            var serialized = serialize(answer);
            if (serialized is not null)
            {
                last = answer;
            }

            return serialized;
        };
    }

    /// <summary>
    /// One change-detecting watch (<see cref="ModelWatches"/>): on every published model, <paramref name="next"/> gives the
    /// stream's answer (its status and JSON; null for nothing to send: unchanged, or compiling failed and the client keeps
    /// what it has), and the newest answer is sent when its status or bytes differ from the last sent. Ends when the
    /// client goes away or the control plane stops, so that shutdown does not wait for clients to hang up.
    /// </summary>
    private async Task WatchAsync(
        SubscriptionRegistry.StreamProgress subscription, ServerCallContext context, Func<MeshModel, WatchAnswer?> next,
        Func<ulong, WatchAnswer, CancellationToken, Task> send)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        var ct = stop.Token;
        using var watch = watches.Add(next, subscription);
        try
        {
            WatchAnswer? lastSent = null;
            while (!ct.IsCancellationRequested)
            {
                var (version, answer) = await watch.ReadAsync(ct).ConfigureAwait(false);
                if (lastSent is not { } sent || sent.Status != answer.Status || !answer.Json.AsSpan().SequenceEqual(sent.Json))
                {
                    await send(version, answer, ct).ConfigureAwait(false);
                    lastSent = answer;
                    subscription.Sent(version, answer.Status);
                }

                watch.Handled();
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The client went away or the control plane is stopping.
        }
        catch (IOException)
        {
            // A write to a client that went away (Kestrel: "The request stream was aborted"), which can come before the
            // call's token says so, as when every sidecar of a stopping weft up hangs up at once: the watch is over, not failed.
        }
    }

    /// <summary>The pod's inbound policy (null while the pod is not in the model); false when compiling failed (nothing is sent: the sidecar keeps what it has).</summary>
    private bool CompileInbound(MeshModel model, string podNamespace, string podName, string pod, out InboundPolicy? policy)
    {
        try
        {
            policy = model.CompileInbound(podNamespace, podName);
            return true;
        }
        catch (Exception e)
        {
            Log.InboundCompileFailed(logger, pod, e);
            policy = null;
            return false;
        }
    }

    /// <summary>The inbound answer: the policy's JSON, or NOT_FOUND with no JSON for no policy; null when serialising failed.</summary>
    private WatchAnswer? SerializeInbound(InboundPolicy? policy, string pod)
    {
        try
        {
            return policy is not null
                ? new WatchAnswer(DestinationStatus.Found, InboundPolicyJson.Serialize(policy))
                : new WatchAnswer(DestinationStatus.NotFound, []);
        }
        catch (Exception e)
        {
            Log.InboundCompileFailed(logger, pod, e);
            return null;
        }
    }

    /// <summary>The destination's policy (null for NOT_FOUND); false when compiling failed (then nothing is sent: the client keeps what it has).</summary>
    private bool Compile(MeshModel model, DestinationRequest request, out DestinationPolicy? policy)
    {
        try
        {
            policy = model.Compile(request.ClientNamespace, request.Host, request.Port, request.ClientLevel);
            return true;
        }
        catch (Exception e)
        {
            Log.CompileFailed(logger, request.Host, request.Port, request.ClientNamespace, e);
            policy = null;
            return false;
        }
    }

    /// <summary>
    /// The answer for a destination: its policy's JSON (FOUND), or the client's outbound policy's JSON (NOT_FOUND); null
    /// when serialising failed.
    /// </summary>
    private WatchAnswer? Serialize(object answer, DestinationRequest request)
    {
        try
        {
            if (answer is not DestinationPolicy policy)
            {
                return new WatchAnswer(DestinationStatus.NotFound, PolicyJson.Serialize((OutsidePolicy)answer));
            }

            // Streams of one destination (many clients of one Service) get the same policy instance: serialise it once,
            // and a failure once (logged by the stream that met it; the others send nothing, as it does).
            var json = SerializedPolicies.GetValue(policy, p =>
            {
                try
                {
                    return PolicyJson.Serialize(p);
                }
                catch (Exception e)
                {
                    Log.CompileFailed(logger, request.Host, request.Port, request.ClientNamespace, e);
                    return NotSerializable;
                }
            });
            return ReferenceEquals(json, NotSerializable) ? null : new WatchAnswer(DestinationStatus.Found, json);
        }
        catch (Exception e)
        {
            Log.CompileFailed(logger, request.Host, request.Port, request.ClientNamespace, e);
            return null;
        }
    }
}
