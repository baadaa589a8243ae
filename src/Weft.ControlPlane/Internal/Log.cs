using Microsoft.Extensions.Logging;

namespace Weft.ControlPlane.Internal;

internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Loaded {Directory}: {Objects} objects, {Problems} problems (store version {Version})")]
    public static partial void Loaded(ILogger logger, string directory, int objects, int problems, long version);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Not watching {Directory} for changes, rescanning only: {Error}")]
    public static partial void WatcherUnavailable(ILogger logger, string directory, string error);

    [LoggerMessage(EventId = 48, Level = LogLevel.Warning, Message = "Not applied: {Problem}")]
    public static partial void ManifestProblem(ILogger logger, string problem);

    [LoggerMessage(EventId = 3, Level = LogLevel.Error, Message = "Rescanning {Directory} failed")]
    public static partial void RescanFailed(ILogger logger, string directory, Exception exception);

    [LoggerMessage(EventId = 4, Level = LogLevel.Debug, Message = "Translated store version {StoreVersion} into model {ModelVersion}")]
    public static partial void Translated(ILogger logger, long storeVersion, ulong modelVersion);

    [LoggerMessage(EventId = 5, Level = LogLevel.Error, Message = "Translating store version {StoreVersion} failed; keeping the previous model")]
    public static partial void TranslateFailed(ILogger logger, long storeVersion, Exception exception);

    [LoggerMessage(EventId = 6, Level = LogLevel.Debug, Message = "{ClientPod} subscribed to {Host}:{Port}")]
    public static partial void Subscribed(ILogger logger, string clientPod, string host, int port);

    [LoggerMessage(EventId = 7, Level = LogLevel.Debug, Message = "Sent version {Version} ({Status}) of {Host}:{Port} to {ClientPod}")]
    public static partial void Sent(ILogger logger, ulong version, string status, string host, int port, string clientPod);

    [LoggerMessage(EventId = 8, Level = LogLevel.Warning, Message = "{ClientPod} rejected version {Version} of {Host}:{Port}: {Error} ({HeldBack} more rejections held back since the last such line; one a second at most)")]
    public static partial void Nacked(ILogger logger, string clientPod, ulong version, string host, int port, string error, long heldBack);

    [LoggerMessage(EventId = 9, Level = LogLevel.Error, Message = "Compiling the policy of {Host}:{Port} for namespace {ClientNamespace} failed")]
    public static partial void CompileFailed(ILogger logger, string host, int port, string clientNamespace, Exception exception);

    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "Control plane listening on {Address}")]
    public static partial void Listening(ILogger logger, Uri address);

    [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "Mesh CA: signing with '{Root}' (valid until {NotAfter:O}, {Source}), trust domain {TrustDomain}, {Roots} trusted roots")]
    public static partial void CaReady(ILogger logger, string root, DateTime notAfter, string source, string trustDomain, int roots);

    [LoggerMessage(EventId = 12, Level = LogLevel.Information, Message = "Issued certificate {Serial} for {SpiffeId} to pod {Namespace}/{Pod}, valid until {NotAfter:O}")]
    public static partial void CertificateIssued(ILogger logger, string serial, string spiffeId, string @namespace, string pod, DateTimeOffset notAfter);

    [LoggerMessage(EventId = 13, Level = LogLevel.Warning, Message = "Refused a certificate request from {Peer}: {Reason}")]
    public static partial void CertificateRefused(ILogger logger, string peer, string reason);

    [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "Listed {Resource}: {Count} objects at resourceVersion {ResourceVersion}")]
    public static partial void Listed(ILogger logger, string resource, int count, string resourceVersion);

    [LoggerMessage(EventId = 21, Level = LogLevel.Information, Message = "The watch of {Resource} expired at resourceVersion {ResourceVersion} (410 Gone); listing again")]
    public static partial void WatchExpired(ILogger logger, string resource, string resourceVersion);

    [LoggerMessage(EventId = 22, Level = LogLevel.Warning, Message = "Listing or watching {Resource} failed, retrying in {Seconds:0.0}s: {Error}")]
    public static partial void InformerFailed(ILogger logger, string resource, double seconds, string error);

    [LoggerMessage(EventId = 23, Level = LogLevel.Information, Message = "Read {Kinds} kinds from the API server (store version {Version})")]
    public static partial void KubeSynced(ILogger logger, int kinds, long version);

    [LoggerMessage(EventId = 24, Level = LogLevel.Error, Message = "Publishing the API server's objects failed")]
    public static partial void KubeSourceFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 25, Level = LogLevel.Warning, Message = "Ignoring {Resource} {Key}: {Problem}")]
    public static partial void KubeObjectRejected(ILogger logger, string resource, string key, string problem);

    [LoggerMessage(EventId = 26, Level = LogLevel.Information, Message = "Wrote the status of {Resource} {Key} (resourceVersion {ResourceVersion})")]
    public static partial void StatusWritten(ILogger logger, string resource, string key, string resourceVersion);

    [LoggerMessage(EventId = 27, Level = LogLevel.Warning, Message = "Writing the status of {Resource} {Key} failed: {Error}")]
    public static partial void StatusWriteFailed(ILogger logger, string resource, string key, string error);

    [LoggerMessage(EventId = 28, Level = LogLevel.Information, Message = "{Identity} is now the leader (Lease {Lease}): writing status")]
    public static partial void BecameLeader(ILogger logger, string identity, string lease);

    [LoggerMessage(EventId = 29, Level = LogLevel.Information, Message = "{Identity} is no longer the leader (Lease {Lease}): not writing status")]
    public static partial void LostLeadership(ILogger logger, string identity, string lease);

    [LoggerMessage(EventId = 30, Level = LogLevel.Information, Message = "The leader is now {Leader} (Lease {Lease})")]
    public static partial void NewLeader(ILogger logger, string leader, string lease);

    [LoggerMessage(EventId = 31, Level = LogLevel.Warning, Message = "The API server serves no {Resource} (versions {Versions}); is its CRD installed? Reading it as empty until it is")]
    public static partial void NotServed(ILogger logger, string resource, string versions);

    [LoggerMessage(EventId = 32, Level = LogLevel.Warning, Message = "Lease {Lease}: {Error}")]
    public static partial void LeaseFailed(ILogger logger, string lease, string error);

    [LoggerMessage(EventId = 33, Level = LogLevel.Warning, Message = "The mesh root Secret {Secret} was gone: made again from the root this replica signs with")]
    public static partial void RootRestored(ILogger logger, string secret);

    [LoggerMessage(EventId = 34, Level = LogLevel.Error, Message = "The mesh root Secret {Secret} holds another root than this replica signs with: restart every replica to use it (certificates from before and after do not chain to one root)")]
    public static partial void RootDiffers(ILogger logger, string secret);

    [LoggerMessage(EventId = 35, Level = LogLevel.Information, Message = "Pod {Pod}: {Outcome} ({Reason})")]
    public static partial void Injection(ILogger logger, string pod, string outcome, string reason);

    [LoggerMessage(EventId = 36, Level = LogLevel.Warning, Message = "Webhook configuration {Name}: {Error}")]
    public static partial void WebhookCaBundleFailed(ILogger logger, string name, string error);

    [LoggerMessage(EventId = 37, Level = LogLevel.Information, Message = "Webhook configuration {Name}: caBundle set to the mesh trust bundle")]
    public static partial void WebhookCaBundleSet(ILogger logger, string name);

    [LoggerMessage(EventId = 38, Level = LogLevel.Debug, Message = "Sent inbound policy version {Version} ({Status}) to {Pod}")]
    public static partial void InboundSent(ILogger logger, ulong version, string status, string pod);

    [LoggerMessage(EventId = 39, Level = LogLevel.Warning, Message = "{Pod} rejected inbound policy version {Version}: {Error} ({HeldBack} more rejections held back since the last such line; one a second at most)")]
    public static partial void InboundNacked(ILogger logger, string pod, ulong version, string error, long heldBack);

    [LoggerMessage(EventId = 40, Level = LogLevel.Error, Message = "Compiling the inbound policy of {Pod} failed")]
    public static partial void InboundCompileFailed(ILogger logger, string pod, Exception exception);

    [LoggerMessage(EventId = 41, Level = LogLevel.Information, Message = "Discovery call {Method} from {Peer} refused ({Code}): {Reason} ({Suppressed} more refused since the last such line)")]
    public static partial void CallRefused(ILogger logger, string method, string peer, string code, string reason, long suppressed);

    [LoggerMessage(EventId = 42, Level = LogLevel.Warning, Message = "{Resource}, a CA bundle named by a caCertificateRef, was not listed within {Seconds:0} s; publishing without it until it is")]
    public static partial void ConfigMapNotListed(ILogger logger, string resource, double seconds);

    [LoggerMessage(EventId = 43, Level = LogLevel.Debug, Message = "Model version {Version}: {Watches} discovery watches evaluated, {Woken} given a new answer to send, in {Milliseconds:0.0} ms")]
    public static partial void WatchesEvaluated(ILogger logger, ulong version, int watches, int woken, double milliseconds);

    [LoggerMessage(EventId = 44, Level = LogLevel.Error, Message = "A discovery watch failed on model version {Version}; its stream keeps what it was sent")]
    public static partial void WatchFailed(ILogger logger, ulong version, Exception exception);

    [LoggerMessage(EventId = 45, Level = LogLevel.Warning, Message = "Namespace {Namespace}: {Problem}")]
    public static partial void NamespaceSettingSkipped(ILogger logger, string @namespace, string problem);

    [LoggerMessage(EventId = 46, Level = LogLevel.Information, Message = "Namespace {Namespace} no longer has: {Problem}")]
    public static partial void NamespaceSettingNoLongerSkipped(ILogger logger, string @namespace, string problem);

    [LoggerMessage(EventId = 47, Level = LogLevel.Warning, Message = "Checking the namespaces' weft.dev settings failed; checking again at the next change")]
    public static partial void NamespaceSettingsCheckFailed(ILogger logger, Exception exception);
}
