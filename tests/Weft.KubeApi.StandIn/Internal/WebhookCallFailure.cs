namespace Weft.KubeApi.StandIn.Internal;

/// <summary>
/// A webhook could not be called or answered nonsense (the apiserver's <c>ErrCallingWebhook</c>): the webhook's
/// <c>failurePolicy</c> decides whether the request fails (<c>Fail</c>, 500 InternalError) or goes on without it (<c>Ignore</c>).
/// The message is the reason as kube-apiserver words it, e.g. <c>failed to call webhook: Post "https://...": ...</c>.
/// </summary>
internal sealed class WebhookCallFailure(string reason) : Exception(reason);
